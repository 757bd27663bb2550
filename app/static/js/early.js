// Loaded in <head>, before the first paint: with script, the site menu starts folded on a
// narrow screen (css: .js-nav), so it does not show open and then jump shut when nav.js runs.
document.documentElement.classList.add("js-nav");
