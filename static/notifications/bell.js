// The bell's unread count, fetched after the page is shown so that rendering a page costs no query for it.
(function () {
  "use strict";
  var bell = document.querySelector(".bell[data-unread-url]");
  if (!bell || !window.fetch) { return; }
  var badge = bell.querySelector(".bell-count");

  function show(count) {
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.hidden = count === 0;
  }

  function refresh() {
    fetch(bell.getAttribute("data-unread-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") { show(data.unread); } })
      .catch(function () { /* offline: keep the last count */ });
  }

  refresh();
  // Keep it fresh while the page is open and visible.
  setInterval(function () { if (!document.hidden) { refresh(); } }, 60000);
}());
