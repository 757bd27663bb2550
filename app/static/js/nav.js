// The site menu on a narrow screen: folded behind the "menu" button, which says whether it is
// open (aria-expanded). Without this script the button stays hidden and the menu is a plain
// list under the brand (early.js marks the page before the first paint, so that the menu
// starts folded). Escape closes the open menu and gives the focus back to the button.
(() => {
  const header = document.querySelector(".site-header");
  const button = header && header.querySelector(".nav-toggle");
  const nav = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) {
    return;
  }
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  };
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
