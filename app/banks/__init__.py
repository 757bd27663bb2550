"""Banks: the lenders that publish products and employ officers."""
