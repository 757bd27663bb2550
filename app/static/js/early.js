// Loaded in <head>, before the first paint: what must hold from the moment a page is painted
// is heard here, on the document, not by a script that arrives later (on a slow phone a
// deferred script can take seconds, or never come).
//
// The site menu: with script it starts folded on a narrow screen (css: .js-nav), behind the
// "menu" button, which says whether it is open (aria-expanded); without script the button
// stays hidden and the menu is a plain list under the brand. Escape closes the open menu and
// gives the focus back to the button.
//
// Confirmations: a form, or the button that submits it, marked data-confirm="question" asks
// before it submits (the content security policy forbids inline handlers).
(() => {
  document.documentElement.classList.add("js-nav");
  const parts = (target) => {
    const header = target instanceof Element ? target.closest(".site-header") : null;
    const button = header && header.querySelector(".nav-toggle");
    const nav = button && document.getElementById(button.getAttribute("aria-controls"));
    return nav ? { button, nav } : null;
  };
  const setOpen = ({ button, nav }, open) => {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  };
  document.addEventListener("click", (event) => {
    const found = event.target instanceof Element && event.target.closest(".nav-toggle");
    const menu = found && parts(found);
    if (menu) {
      setOpen(menu, menu.button.getAttribute("aria-expanded") !== "true");
    }
  });
  document.addEventListener("keydown", (event) => {
    const menu = event.key === "Escape" && parts(event.target);
    if (menu && menu.nav.classList.contains("open")) {
      setOpen(menu, false);
      menu.button.focus();
    }
  });
  document.addEventListener("submit", (event) => {
    const question =
      (event.submitter && event.submitter.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
