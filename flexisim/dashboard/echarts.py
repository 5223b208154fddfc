"""ECharts in the browser, redrawn with small updates: the dashboard's one chart widget.

Why not ``solara.FigureEcharts``: its option travels as a nested dict, which reacton walks
value by value on every render (thousands of numbers per step once a run is a few weeks
old) and which the browser then redraws from scratch (``setOption(option, notMerge)``: axes,
legend and title rebuilt for every new week). Here

* a :class:`ChartWidget` holds *several* charts (the six live charts are one widget): a step
  sends one message instead of six, and the browser draws all of them in one frame;
* each option travels as one JSON string (:attr:`ChartWidget.specs`): reacton compares
  strings instead of walking the tree, and the browser parses them outside Vue's deep
  reactivity; a chart whose string did not change is not touched;
* the browser compares an option's *shape* (everything but the ``data`` arrays of its
  components) with the one it drew last: when only data changed -- every step of a run --
  it merges just the data (``setOption({series: [{data}], xAxis: {data}})``); otherwise
  (first draw, language switch, Reset) it replaces the whole option. Both are drawn at the
  next animation frame (``lazyUpdate``), so updates that arrive together paint together;
* titles and legends are HTML over the chart, not drawn by ECharts, which would lay them out
  and repaint them on every update (a quarter of its work for these charts); ECharts keeps
  them hidden in its option, so legend clicks still hide and show series;
* ``echarts.min.js`` (a third of ``echarts.js``) is loaded once per page from Solara's local
  assets (``solara-assets``, so it works offline), shared by every chart, and started by
  ``assets/custom.js`` as soon as the page opens (``app.py`` serves it as Solara's
  ``custom.js``), so it is ready when the first chart arrives.

The Vue template is one ``ipyvue`` ``Template`` widget per session (as ``template_file``
widgets are), kept inline so the package needs no data files.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipyvue
import ipyvuetify
import traitlets

#: ECharts as bundled in solara-assets (the version solara.FigureEcharts uses); also named in
#: assets/custom.js, which starts loading it early.
ECHARTS_PATH = "echarts@5.4.0/dist/echarts.min.js"
#: Folder served as Solara's extra assets (``app.py``): holds ``custom.js``.
ASSETS = Path(__file__).with_name("assets")

TEMPLATE = r"""
<template>
  <div class="flexisim-charts" v-bind="attributes">
    <div v-for="(height, i) in heights" :key="i" class="flexisim-chart-box"
         :style="{ height: height + 'px' }">
      <div ref="box" :data-index="i" class="solara-echarts flexisim-chart"></div>
      <div v-if="tools" class="flexisim-chart-tools">
        <button class="flexisim-export-png" :title="tools.png" @click="exportPng(i)">PNG</button>
        <button class="flexisim-export-csv" :title="tools.csv" @click="exportCsv(i)">CSV</button>
      </div>
      <template v-if="labels[i]">
        <div class="flexisim-chart-title">{{ labels[i].title }}
          <div v-if="labels[i].subtitle" class="flexisim-chart-subtitle">
            {{ labels[i].subtitle }}</div>
        </div>
        <div class="flexisim-chart-legend" :class="{ 'flexisim-legend-wrap': labels[i].wrap }">
          <span v-for="item in labels[i].legend" :key="item.name" class="flexisim-legend-item"
                :class="{ 'flexisim-legend-off': labels[i].off[item.name] }"
                @click="toggle(i, item.name)">
            <svg width="22" height="10">
              <rect v-if="item.box" x="3" y="1" width="16" height="8" rx="1" :fill="item.color"
                    :fill-opacity="item.box === 'band' ? 0.35 : 1" />
              <line v-else x1="1" y1="5" x2="21" y2="5" :stroke="item.color" stroke-width="2"
                    :stroke-dasharray="item.dashed ? '4 3' : null" />
            </svg>{{ item.name }}</span>
        </div>
      </template>
    </div>
  </div>
</template>
<script>
module.exports = {
  data() {
    return { ready: false, labels: [] };
  },
  mounted() {
    this.charts = [];
    this.drawn = [];
    this.shapes = [];
    this.resizeObserver = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const chart = entry.target.__flexisimChart;
        if (chart) chart.resize();
      }
    });
    this.loadEcharts().then((echarts) => {
      if (this._isDestroyed) return;
      this.echarts = echarts;
      this.ready = true;
      this.draw();
    });
  },
  beforeDestroy() {
    this.resizeObserver.disconnect();
    this.charts.forEach((chart) => chart && chart.dispose());
  },
  watch: {
    specs() {
      // after Vue has made one box per chart
      if (this.ready) this.$nextTick(() => this.draw());
    },
  },
  methods: {
    draw() {
      const boxes = [];  // in chart order (the order of refs in a v-for is not guaranteed)
      (this.$refs.box || []).forEach((box) => { boxes[Number(box.dataset.index)] = box; });
      this.specs.forEach((spec, i) => {
        const box = boxes[i];
        if (!box) return;
        if (!this.charts[i] || this.charts[i].getDom() !== box) {
          if (this.charts[i]) this.charts[i].dispose();
          this.charts[i] = this.echarts.init(box);
          box.__flexisimChart = this.charts[i];
          this.resizeObserver.observe(box);
          this.drawn[i] = undefined;
          this.shapes[i] = undefined;
        }
        if (spec === this.drawn[i]) return;
        this.drawn[i] = spec;
        const option = this.withHtmlLabels(i, JSON.parse(spec));
        const shape = JSON.stringify(this.split(option, false));
        if (shape === this.shapes[i]) {
          // same axes and legend: only the data (or the title) changed, merge just that
          this.charts[i].setOption(this.split(option, true), { lazyUpdate: true });
        } else {
          this.charts[i].setOption(option, { notMerge: true, lazyUpdate: true });
          this.shapes[i] = shape;
          this.labels[i].off = {};  // a new option shows every series again
        }
      });
      for (let i = this.specs.length; i < this.charts.length; i++) {
        if (this.charts[i]) this.charts[i].dispose();
      }
      this.charts.length = this.drawn.length = this.shapes.length = this.specs.length;
      if (this.labels.length > this.specs.length) this.labels.splice(this.specs.length);
    },
    // The title and the legend are drawn as HTML over the chart (where ECharts would put
    // them), not by ECharts: ECharts lays out and repaints every component of a chart on every
    // update, and these two are a quarter of that work although they do not change in a run.
    // ECharts keeps them in its option, hidden, so legend clicks still filter the series.
    withHtmlLabels(i, option) {
      const one = (c) => (Array.isArray(c) ? c[0] : c) || {};
      const title = one(option.title);
      const legend = one(option.legend);
      const items = new Map();  // one entry per series name, as ECharts' legend has
      if (legend.show !== false) {
        for (const s of [].concat(option.series || [])) {
          if (!s.name) continue;
          const line = s.type === "line";
          const item = items.get(s.name) || { name: s.name, color: s.color || "#888",
            box: line ? null : "solid",
            dashed: line && !!s.lineStyle && s.lineStyle.type === "dashed" };
          if (line && s.areaStyle) item.box = "band";  // a band: its filled series
          items.set(s.name, item);
        }
      }
      const labels = { title: title.show === false ? "" : title.text || "",
                       subtitle: title.show === false ? "" : title.subtext || "",
                       legend: Array.from(items.values()),
                       // as ECharts: a "scroll" legend scrolls sideways, a plain one wraps
                       wrap: legend.type !== "scroll" };
      const key = JSON.stringify(labels);
      if (!this.labels[i] || this.labels[i].key !== key) {
        const off = this.labels[i] ? this.labels[i].off : {};
        this.$set(this.labels, i, Object.assign({ key, off }, labels));
      }
      // a tooltip whose points' names are HTML cards (the office floor): ECharts escapes a
      // string template such as "{b}", and a function cannot travel in JSON
      const tip = one(option.tooltip);
      if (tip.htmlName) tip.formatter = (p) => p.name;
      const hide = (c) => Object.assign({}, c, { show: false });
      if (option.title) option.title = [].concat(option.title).map(hide);
      if (option.legend) option.legend = [].concat(option.legend).map(hide);
      return option;
    },
    // --- export: what the room saw, to take home (all in the browser: works offline) ---
    fileName(i, ext) {
      const title = (this.labels[i] && this.labels[i].title) || `chart-${i + 1}`;
      const stem = title.normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "-")
        .replace(/^-|-$/g, "").toLowerCase().slice(0, 80);
      return `flexisim-${stem || "chart"}.${ext}`;
    },
    download(name, href) {
      const a = document.createElement("a");
      a.href = href;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
    },
    // The PNG holds the title and legend: on the page they are HTML over the chart, so they
    // are switched on in ECharts for the picture and off again.
    exportPng(i) {
      const chart = this.charts[i];
      if (!chart) return;
      const show = (on) => chart.setOption({ title: [{ show: on }], legend: [{ show: on }] },
                                           { lazyUpdate: false, silent: true });
      show(true);
      const url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      show(false);
      if (!this.caption) return this.download(this.fileName(i, "png"), url);
      // what made the picture, in small print in a strip below it
      const picture = new Image();
      picture.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = picture.width;
        canvas.height = picture.height + 36;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(picture, 0, 0);
        ctx.fillStyle = "#777";
        ctx.font = "20px sans-serif";
        ctx.fillText(this.caption, 12, picture.height + 24, canvas.width - 24);
        this.download(this.fileName(i, "png"), canvas.toDataURL("image/png"));
      };
      picture.src = url;
    },
    // The CSV holds the chart's data as drawn: one row per category (week, region, ...),
    // one column per named series; a band's upper edge is its stacked sum, and a series may
    // carry its own values and name for the table (csvValues, csvName).
    csvTable(i) {
      const option = JSON.parse(this.specs[i]);
      const one = (c) => (Array.isArray(c) ? c[0] : c) || {};
      const x = one(option.xAxis), y = one(option.yAxis);
      const category = x.data ? x : y;
      const rows = category.data || [];
      const head = [category.name || ""];
      const columns = [];
      const stacks = {};
      for (const s of [].concat(option.series || [])) {
        const values = (s.data || []).map((d) => (d !== null && typeof d === "object" ?
          (Array.isArray(d) ? d[d.length - 1] : d.value) : d));
        let out = values;
        if (s.stack) {
          const base = stacks[s.stack];
          out = values.map((v, k) => (base && base[k] !== null && v !== null ?
            base[k] + v : v));
          stacks[s.stack] = out;
        }
        if (s.csvValues) out = s.csvValues;
        const name = s.csvName || s.name;
        if (!name) continue;
        head.push(name);
        columns.push(out);
      }
      const cell = (v) => {
        if (v === null || v === undefined) return "";
        const text = String(typeof v === "number" ? Math.round(v * 1e6) / 1e6 : v);
        return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
      };
      // what made the data, as a comment line (pandas: read_csv(..., comment="#"))
      const lines = this.caption ? [`# ${this.caption}`] : [];
      lines.push(head.map(cell).join(","));
      rows.forEach((r, k) => lines.push([r, ...columns.map((c) => c[k])].map(cell).join(",")));
      return lines.join("\n") + "\n";
    },
    exportCsv(i) {
      const blob = new Blob([this.csvTable(i)], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      this.download(this.fileName(i, "csv"), url);
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
    toggle(i, name) {
      this.charts[i].dispatchAction({ type: "legendToggleSelect", name });
      this.$set(this.labels[i].off, name, !this.labels[i].off[name]);
    },
    // an option's components with only their data (data=true) or without it (false); the
    // (hidden) title goes with the data, so a changing subtitle does not rebuild the chart
    split(option, data) {
      const part = (c) => {
        if (!c || typeof c !== "object" || Array.isArray(c)) return data ? {} : c;
        if (data) return "data" in c ? { data: c.data } : {};
        const rest = Object.assign({}, c);
        delete rest.data;
        return rest;
      };
      const out = {};
      for (const key of Object.keys(option)) {
        const value = option[key];
        if (key === "title") {
          if (data) out.title = value;
        } else if (!data) {
          out[key] = Array.isArray(value) ? value.map(part) : part(value);
        } else if (Array.isArray(value) ? value.some((c) => c && c.data) : value && value.data) {
          // only components with data; a top-level setting such as animation: false must
          // not be merged as {} (that would switch animation on)
          out[key] = Array.isArray(value) ? value.map(part) : part(value);
        }
      }
      return out;
    },
    loadEcharts() {
      // usually already loading: assets/custom.js starts it when the page opens
      const url = `${this.getCdn()}/""" + ECHARTS_PATH + r"""`;
      const load = () => this.loadRequire().then(
        () => new Promise((resolve, reject) => requirejs([url], resolve, reject)));
      window.flexisimEcharts = window.flexisimEcharts ? window.flexisimEcharts.catch(load)
                                                      : load();
      return window.flexisimEcharts;
    },
    loadRequire() {
      if (window.requirejs) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    },
    getCdn() {
      if (this.cdn) return this.cdn;
      if (window.solara) return window.solara.cdn;
      let base = document.body.dataset.baseUrl || document.baseURI;
      if (!base.endsWith("/")) base += "/";
      return `${base}_solara/cdn`;
    },
  },
};
</script>
<style id="flexisim-charts">
.flexisim-chart-box { position: relative; width: 100%; }
.flexisim-chart-box .flexisim-chart { position: absolute; top: 0; right: 0; bottom: 0; left: 0; }
.flexisim-chart-title {
  position: absolute; top: 5px; left: 0; right: 0; text-align: center; pointer-events: none;
  font: bold 14px sans-serif; color: #464646; line-height: 18px;
}
.flexisim-chart-subtitle { font: 12px sans-serif; color: #6e7079; line-height: 16px; }
.flexisim-chart-legend {
  position: absolute; bottom: 0; left: 0; right: 0; text-align: center; white-space: nowrap;
  overflow-x: auto; font: 12px sans-serif; color: #333; line-height: 20px;
}
.flexisim-legend-wrap { white-space: normal; }
.flexisim-legend-item { cursor: pointer; margin: 0 7px; user-select: none; white-space: nowrap; }
.flexisim-legend-item svg { vertical-align: middle; margin-right: 4px; }
.flexisim-legend-off { color: #ccc; }
.theme--dark .flexisim-chart-title { color: #e6e6e6; }
.theme--dark .flexisim-chart-subtitle { color: #b5b5b5; }
.theme--dark .flexisim-chart-legend { color: #e0e0e0; }
.theme--dark .flexisim-legend-off { color: #666; }
.theme--dark .flexisim-chart-tools button { background: #333; color: #ddd; border-color: #666; }
.flexisim-chart-tools { position: absolute; top: 2px; right: 4px; z-index: 2; opacity: 0.35; }
.flexisim-chart-box:hover .flexisim-chart-tools { opacity: 1; }
.flexisim-chart-tools button { font: 10px sans-serif; border: 1px solid #bbb; border-radius: 3px;
  padding: 0 4px; margin-left: 3px; background: #fff; color: #444; cursor: pointer; }
.flexisim-legend-off svg { opacity: 0.3; }
</style>
"""

_TEMPLATE_KEY = "flexisim.dashboard.echarts"


def _template() -> Any:
    """The session's shared Template widget (ipyvue's registry is per kernel under Solara)."""
    registry = importlib.import_module("ipyvue.Template").template_registry
    template = registry.get(_TEMPLATE_KEY)
    if template is None:
        template = ipyvue.Template(template=TEMPLATE)
        registry[_TEMPLATE_KEY] = template
    return template


class ChartWidget(ipyvuetify.VuetifyTemplate):
    """One or more ECharts charts; :attr:`specs` holds their options as JSON."""

    specs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    heights = traitlets.List(traitlets.Int()).tag(sync=True)
    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    #: the export buttons' tooltips ({"png": ..., "csv": ...}); None: no export buttons
    tools = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    #: what made the charts (version, scenario, seed...): printed on an exported picture
    #: and as the first, comment line of an exported table
    caption = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("template", _template())
        super().__init__(**kwargs)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        # with solara-assets the local proxy serves the files; the page knows its address
        return None if solara.settings.assets.proxy else solara.settings.assets.cdn

    @property
    def options(self) -> list[dict[str, Any]]:
        """The options as dicts (for tests and debugging)."""
        return [json.loads(spec) for spec in self.specs]


def to_spec(option: dict[str, Any]) -> str:
    """The option as compact JSON; NaN is refused (``charts.clean`` turns it into gaps)."""
    return json.dumps(option, separators=(",", ":"), allow_nan=False)


def export_tools() -> dict[str, str]:
    """The export buttons' tooltips in the session's language."""
    from flexisim.dashboard.i18n import t

    return {"png": t("export.png"), "csv": t("export.csv")}


def Charts(options: Sequence[dict[str, Any]], height: int = 290, min_width: int = 440,
           classes: Sequence[str] = (), caption: str | None = None) -> Any:
    """Charts of ``options`` in a grid of columns at least ``min_width`` px wide.

    A plain function returning the widget element, not a component: a component would carry
    the option dicts as arguments, which reacton compares and walks on every render.
    """
    style = ("display: grid; width: 100%; gap: 8px; "
             f"grid-template-columns: repeat(auto-fit, minmax({min_width}px, 1fr));")
    return ChartWidget.element(specs=[to_spec(o) for o in options],
                               heights=[height] * len(options), tools=export_tools(),
                               caption=caption,
                               attributes={"style": style, "class": " ".join(classes)})


def Chart(option: dict[str, Any], height: int = 290, caption: str | None = None) -> Any:
    """One chart of ``option``, ``height`` px high and as wide as its container."""
    return ChartWidget.element(specs=[to_spec(option)], heights=[height], tools=export_tools(),
                               caption=caption, attributes={"style": "width: 100%;"})


def caption(*parts: object) -> str:
    """A picture's or table's provenance line: flexisim's version and what was run."""
    from flexisim import __version__

    return " · ".join([f"flexisim {__version__}", *(str(p) for p in parts if p)])
