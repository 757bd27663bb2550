// A field of check boxes whose legend has a data-check-all button (the `choices` macro):
// the button ticks every box of its field. Without script the button stays hidden and the
// boxes are ticked one by one; nothing is ever ticked for the user.
for (const button of document.querySelectorAll("[data-check-all]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    for (const box of button.closest("fieldset").querySelectorAll("input[type=checkbox]")) {
      box.checked = true;
    }
  });
}
