/* flexisim dashboard (served as Solara's custom.js, see app.py).

   1. Start loading ECharts as soon as the page's scripts have run, while the server builds the
      session's page, instead of when the first chart arrives. flexisim/dashboard/echarts.py's
      charts wait on this promise (and load ECharts themselves if it failed). The path must
      match echarts.ECHARTS_PATH.
   2. The room's controls: flexisimControl("step" | "play" | "reset") presses Mesa's own
      button (found by its label, in either language), so the copies in the app bar and the
      keyboard shortcuts (S or L: step, P: play / pause, R: reset) do exactly what the
      sidebar's buttons do, with the sidebar hidden too.
   3. On a narrow window (a projector at 150 % zoom: Vuetify's "mobile" drawer, below 960 px)
      the settings drawer starts closed instead of covering the charts; it opens from the
      app bar's menu icon as usual. */
document.addEventListener("DOMContentLoaded", function () {
  if (window.flexisimEcharts || !window.requirejs || !window.solara) return;
  var url = window.solara.cdn + "/echarts@5.4.0/dist/echarts.min.js";
  window.flexisimEcharts = new Promise(function (resolve, reject) {
    window.requirejs([url], resolve, reject);
  });
});

(function () {
  var LABELS = { step: ["langkah", "step"], play: ["\u25b6", "\u275a\u275a"], reset: ["reset"] };

  function findButton(action) {
    var labels = LABELS[action] || [];
    var buttons = Array.prototype.slice.call(document.querySelectorAll("button"));
    // textContent, not innerText: a closed drawer is visibility: hidden, and the innerText
    // of hidden elements is empty
    return buttons.find(function (b) {
      return !b.closest(".room-controls") &&
             labels.indexOf((b.textContent || "").trim().toLowerCase()) >= 0;
    });
  }

  // Mesa disables its buttons for a moment (a step or a rebuild under way): a press then
  // waits for them, up to two seconds, instead of being lost.
  window.flexisimControl = function (action, tries) {
    var button = findButton(action);
    if (button && !button.disabled) {
      button.click();
      return true;
    }
    tries = tries === undefined ? 20 : tries;
    if (tries > 0) setTimeout(function () { window.flexisimControl(action, tries - 1); }, 100);
    return !!button;
  };

  var KEYS = { s: "step", l: "step", p: "play", r: "reset" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    if (target && target.closest &&
        target.closest("input, textarea, select, [contenteditable], [role=slider]")) return;
    var action = KEYS[(event.key || "").toLowerCase()];
    if (action && window.flexisimControl(action)) event.preventDefault();
  });

  var closed = false;
  var observer = new MutationObserver(function () {
    if (closed) return observer.disconnect();
    var drawer = document.querySelector(".v-navigation-drawer");
    if (!drawer) return;
    closed = true;
    observer.disconnect();
    if (drawer.classList.contains("v-navigation-drawer--is-mobile") &&
        drawer.classList.contains("v-navigation-drawer--open")) {
      var icon = document.querySelector(".v-app-bar .v-app-bar__nav-icon");
      if (icon) icon.click();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
