"""Credit reports (企业信用报告): the PDF, its verification (报告验真) and its log."""
