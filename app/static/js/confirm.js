// A form, or the button that submits it, marked data-confirm="question" asks before it
// submits (the content security policy forbids inline handlers).
document.addEventListener("submit", (event) => {
  const question =
    (event.submitter && event.submitter.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
