// The batch page of a queued or running background import: polls the batch's progress
// (JSON) every few seconds, shows rows read, rejected, percent and elapsed time, and reloads
// the page once the import has ended, to show its summary. (No inline script: the content
// security policy forbids it.)
(() => {
  const box = document.getElementById("batch-progress");
  if (!box) return;
  const url = box.dataset.progressUrl;
  const show = (name, text) => {
    for (const el of document.querySelectorAll(`[data-progress="${name}"]`)) {
      el.textContent = text;
    }
  };
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        if (state.finished) {
          window.location.reload();
          return;
        }
        show("state_label", state.state_label);
        show("rows_read", state.rows_read.toLocaleString());
        if (state.total_rows) show("total_rows", state.total_rows.toLocaleString());
        show("rows_rejected", state.rows_rejected.toLocaleString());
        show("percent", state.percent === null ? "—" : `${state.percent}%`);
        show("elapsed", state.elapsed || "—");
        const bar = box.querySelector('[data-progress="bar"]');
        if (bar && state.percent !== null) bar.value = state.percent;
      }
    } catch (error) {
      // the network hiccuped: try again at the next tick
    }
    window.setTimeout(poll, 3000);
  };
  window.setTimeout(poll, 2000);
})();
