/* flexisim dashboard (served as Solara's custom.js, see app.py): start loading ECharts as soon
   as the page's scripts have run, while the server builds the session's page, instead of when
   the first chart arrives. flexisim/dashboard/echarts.py's charts wait on this promise (and
   load ECharts themselves if it failed). The path must match echarts.ECHARTS_PATH. */
document.addEventListener("DOMContentLoaded", function () {
  if (window.flexisimEcharts || !window.requirejs || !window.solara) return;
  var url = window.solara.cdn + "/echarts@5.4.0/dist/echarts.min.js";
  window.flexisimEcharts = new Promise(function (resolve, reject) {
    window.requirejs([url], resolve, reject);
  });
});
