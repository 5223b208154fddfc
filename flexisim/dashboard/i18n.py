"""Every text the dashboard shows, in Bahasa Indonesia and English.

Workshops run in Indonesian; researchers often read English. One table holds both so a
missing translation is a test failure (``tests/test_dashboard.py`` checks that every key has
both languages), not a half-translated page in front of a room.

Lever help texts are not repeated here: they live with the lever schema
(``flexisim/data/levers.toml``, fields ``en`` and ``id``) and :func:`lever_help` reads them,
so the CLI, the scenario files and the dashboard explain a lever in the same words.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara

from flexisim.scenario import LEVERS

LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"  # workshops are held in Indonesia

#: The session's language. ``solara.reactive`` is scoped per browser session (kernel), so each
#: person in the room can switch language without switching everyone else's.
language = solara.reactive(DEFAULT_LANGUAGE)

TEXTS: dict[str, dict[str, str]] = {
    # page
    "title": {"en": "flexisim: flexible work in the civil service",
              "id": "flexisim: kerja fleksibel ASN"},
    "language": {"en": "Language", "id": "Bahasa"},
    "week": {"en": "Week {n}", "id": "Minggu ke-{n}"},
    "week_of": {"en": "Week {n} of {total}", "id": "Minggu ke-{n} dari {total}"},
    "tab_charts": {"en": "Live charts", "id": "Grafik langsung"},
    "tab_agents": {"en": "Office and citizens", "id": "Kantor dan warga"},
    "tab_compare": {"en": "Compare", "id": "Bandingkan"},
    "tab_why": {"en": "Why?", "id": "Mengapa?"},
    # scenario card
    "scenario": {"en": "Scenario", "id": "Skenario"},
    "scenario_custom": {"en": "(your settings)", "id": "(pengaturan Anda)"},
    "pending": {"en": "Changes apply after Reset.", "id": "Perubahan berlaku setelah Reset."},
    "outside_rules": {"en": "Outside Permenpan RB No. 4/2025: {notes}.",
                      "id": "Di luar Permenpan RB No. 4/2025: {notes}."},
    "apply_now": {"en": "Apply from week {week}", "id": "Terapkan mulai minggu ke-{week}"},
    "apply_now_help": {"en": "a policy shock in this run, saved with the settings",
                       "id": "kejutan kebijakan dalam jalannya model ini, tersimpan bersama "
                             "pengaturan"},
    "recorded_changes": {"en": "Changes during the run (Reset replays them):",
                         "id": "Perubahan selama jalannya model (Reset memutarnya ulang):"},
    "change.from_week": {"en": "from week {n}", "id": "mulai minggu ke-{n}"},
    "change.when": {"en": "once {output} {sign} {value}", "id": "begitu {output} {sign} {value}"},
    "change.agencies": {"en": "in some agencies", "id": "di sebagian instansi"},
    "change.marker": {"en": "policy change", "id": "perubahan kebijakan"},
    "scandal.marker": {"en": "scandal", "id": "skandal"},
    "yes": {"en": "yes", "id": "ya"},
    "no": {"en": "no", "id": "tidak"},
    "applied": {"en": "The model runs these settings.",
                "id": "Model berjalan dengan pengaturan ini."},
    "save": {"en": "Save settings (TOML)", "id": "Simpan pengaturan (TOML)"},
    "load": {"en": "Load settings (TOML)", "id": "Muat pengaturan (TOML)"},
    "load_help": {"en": "A scenario file as written by 'Save' or found in scenarios/ "
                        "(at most {kb} KB; read as TOML only, never run).",
                  "id": "Berkas skenario hasil 'Simpan' atau dari folder scenarios/ "
                        "(maksimal {kb} KB; hanya dibaca sebagai TOML, tidak dijalankan)."},
    "loaded": {"en": "Loaded {name}.", "id": "{name} dimuat."},
    "loaded_population_kept": {
        "en": "The file sets no population size: {n} ASN agents kept.",
        "id": "Berkas tidak menetapkan ukuran populasi: tetap {n} agen ASN."},
    "load_failed": {"en": "{name} was not loaded:", "id": "{name} tidak dimuat:"},
    "upload.too_large": {"en": "{name}: {kb} KB, more than the {max} KB allowed: not read.",
                         "id": "{name}: {kb} KB, melebihi batas {max} KB: tidak dibaca."},
    "upload.reading": {"en": "Reading {name} …", "id": "Membaca {name} …"},
    # memory (flexisim/dashboard/memory.py): a model that does not fit, or a large one
    "memory.model": {"en": "A model of {n} ASN agents needs about {need} MB of memory",
                     "id": "Model dengan {n} agen ASN memerlukan memori sekitar {need} MB"},
    "memory.runs": {"en": "{runs} runs at a time in background processes ({n} ASN agents "
                          "each) need about {need} MB of memory",
                    "id": "{runs} putaran sekaligus di proses latar belakang (masing-masing "
                          "{n} agen ASN) memerlukan memori sekitar {need} MB"},
    "memory.free": {"en": "the dashboard has {free} MB free (this computer's available "
                          "memory, less what other open tabs hold and a margin for the "
                          "system).",
                    "id": "dasbor hanya memiliki {free} MB (memori yang tersedia di komputer "
                          "ini, dikurangi yang dipakai tab lain yang terbuka dan cadangan "
                          "untuk sistem)."},
    "memory.largest": {"en": "The largest population that fits: {n} ASN agents.",
                       "id": "Populasi terbesar yang muat: {n} agen ASN."},
    "memory.none": {"en": "Not even the smallest population fits now: close other tabs or "
                          "programs and try again.",
                    "id": "Populasi terkecil pun tidak muat saat ini: tutup tab atau program "
                          "lain, lalu coba lagi."},
    "memory.unknown": {"en": "this computer does not say how much memory it has free, so "
                             "models above {n} ASN agents are not built.",
                       "id": "komputer ini tidak melaporkan memori yang tersedia, jadi model "
                             "di atas {n} agen ASN tidak dibangun."},
    "memory.large": {"en": "{name} asks for {n} ASN agents: a large model (about {need} MB "
                           "of memory, and a while to build). It is built when you ask for "
                           "it; until then the current model keeps running.",
                     "id": "{name} meminta {n} agen ASN: model besar (memori sekitar {need} MB "
                           "dan perlu waktu untuk dibangun). Model baru dibangun jika Anda "
                           "memintanya; sampai saat itu model sekarang tetap berjalan."},
    "memory.build": {"en": "Build model (≈ {need} MB)", "id": "Bangun model (≈ {need} MB)"},
    "memory.keep": {"en": "Keep the current model", "id": "Tetap pakai model sekarang"},
    "memory.building": {"en": "Building a model of {n} ASN agents …",
                        "id": "Membangun model dengan {n} agen ASN …"},
    "levers": {"en": "Policy levers", "id": "Instrumen kebijakan"},
    "more_levers": {"en": "More levers", "id": "Tuas lainnya"},
    "population": {"en": "Population size (ASN agents)", "id": "Ukuran populasi (agen ASN)"},
    "population_help": {
        "en": "More agents: smoother curves, slower steps ({n} is the workshop default).",
        "id": "Lebih banyak agen: kurva lebih halus, langkah lebih lambat "
              "({n} bawaan lokakarya)."},
    "seed": {"en": "Random seed", "id": "Angka acak awal (seed)"},
    # lever short labels (help texts come from levers.toml)
    "lever.flexiwork_enabled": {"en": "Flexiwork in force", "id": "Kerja fleksibel berlaku"},
    "lever.max_flex_days": {"en": "Flexible days cap (per week)",
                            "id": "Batas hari fleksibel (per minggu)"},
    "lever.eligible_families": {"en": "Eligible job families", "id": "Rumpun jabatan yang berhak"},
    "lever.trust_culture": {"en": "Trust culture", "id": "Budaya kepercayaan"},
    "lever.results_based_share": {"en": "Oversight mode: share overseeing results",
                                  "id": "Mode pengawasan: porsi yang mengawasi hasil"},
    "lever.verification_rate": {"en": "Verification rate", "id": "Tingkat verifikasi"},
    "lever.sanction_severity": {"en": "Sanction severity", "id": "Beratnya sanksi"},
    "lever.measurement_credibility": {"en": "Measurement credibility",
                                      "id": "Kredibilitas pengukuran"},
    "lever.device_access": {"en": "Device access", "id": "Akses perangkat"},
    "lever.internet_quality": {"en": "Internet quality", "id": "Kualitas internet"},
    "lever.regional_gap": {"en": "Regional digital gap", "id": "Kesenjangan digital wilayah"},
    "lever.training_share": {"en": "Leadership training", "id": "Pelatihan kepemimpinan"},
    "lever.communication_policy": {"en": "Public communication", "id": "Komunikasi publik"},
    "lever.min_onsite_frontline": {"en": "Minimum on-site frontline staffing",
                                   "id": "Kehadiran minimum garda depan"},
    "choice.silent": {"en": "silent", "id": "diam"},
    "choice.reactive": {"en": "reactive", "id": "reaktif"},
    "choice.proactive": {"en": "proactive", "id": "proaktif"},
    "choice.frontline": {"en": "frontline", "id": "garda depan"},
    "choice.administrative": {"en": "administrative", "id": "administrasi"},
    "choice.technical": {"en": "technical", "id": "teknis"},
    "choice.offsite": {"en": "off-site by nature", "id": "lapangan"},
    "unit": {"en": "unit: {unit}; range {lo} to {hi}",
             "id": "satuan: {unit}; rentang {lo} sampai {hi}"},
    "lever.source": {"en": "Source of the default: {source}",
                     "id": "Sumber nilai bawaan: {source}"},
    # charts
    "chart.performance": {"en": "Performance: with flexiwork vs office only",
                          "id": "Kinerja: dengan kerja fleksibel vs hanya di kantor"},
    "chart.trust": {"en": "Public trust and share distrustful",
                    "id": "Kepercayaan publik dan porsi warga yang tidak percaya"},
    "chart.shirking": {"en": "Shirking: true vs detected, and false accusations",
                       "id": "Mangkir kerja: sebenarnya vs terdeteksi, dan tuduhan keliru"},
    "chart.uptake": {"en": "Flexible work uptake", "id": "Pemanfaatan kerja fleksibel"},
    "chart.workforce": {"en": "Attrition and recruits", "id": "Keluar dan rekrutan baru"},
    "chart.regions": {"en": "Regions: performance (top) and public trust (bottom)",
                      "id": "Wilayah: kinerja (atas) dan kepercayaan publik (bawah)"},
    "chart.floor": {"en": "Office floor: a sample of civil servants this week",
                    "id": "Ruang kantor: sampel ASN minggu ini"},
    "chart.citizens": {"en": "Citizens' trust by region", "id": "Kepercayaan warga per wilayah"},
    "series.policy": {"en": "with flexiwork", "id": "dengan kerja fleksibel"},
    "series.previous": {"en": "previous run (before Reset)",
                        "id": "putaran sebelumnya (sebelum Reset)"},
    # headline cards and the about panel (headline.py)
    "headline.effect": {"en": "Performance against the office-only world",
                        "id": "Kinerja dibanding dunia hanya di kantor"},
    "headline.effect_wait": {"en": "press Step or ▶", "id": "tekan Langkah atau ▶"},
    "headline.effect_note": {
        "en": "mean of weeks 1-{n}; 90% of weeks between {lo} and {hi} %",
        "id": "rata-rata minggu 1-{n}; 90% minggu antara {lo} dan {hi} %"},
    "headline.trust": {"en": "Public trust (0-100)", "id": "Kepercayaan publik (0-100)"},
    "headline.trust_note": {"en": "{effect} points against the office-only world",
                            "id": "{effect} poin dibanding dunia hanya di kantor"},
    "headline.week": {"en": "Week", "id": "Minggu"},
    "headline.week_value": {"en": "{n} of {total}", "id": "{n} dari {total}"},
    "headline.week_note": {"en": "one step = one working week",
                           "id": "satu langkah = satu minggu kerja"},
    "headline.finished": {"en": "The run has ended: Reset starts it again.",
                          "id": "Putaran selesai: Reset memulainya lagi."},
    "about.title": {"en": "How to read this page", "id": "Cara membaca halaman ini"},
    "close": {"en": "Close", "id": "Tutup"},
    "about.text": {
        "en": "Each civil servant (ASN), leader and citizen is an agent. Every setting runs "
              "**twice from the same start and the same luck**: once with flexible work as "
              "set on the left, once **office only** (the dashed lines) -- the same world "
              "without flexiwork. The *effect* of the policy is the gap between the two; both "
              "worlds first settle for a warm-up before week 1.\n\n"
              "- **Performance** is an index: 100 x the true weekly output times its quality "
              "per working day, averaged over the active staff -- the work really done, not "
              "what is measured or reported.\n"
              "- **Public trust** (0-100) is the citizens' mean trust in the civil service; "
              "it moves with service at the counter, reported results and scandals in the "
              "press (red vertical lines).\n"
              "- **Shirking** is work days not worked as agreed; **detected** is what "
              "verification finds; **false accusations** hit people who did work.\n"
              "- A vertical line marks a policy change (blue) or a press scandal (red); the "
              "dotted light-blue line is the run before the last Reset.\n\n"
              "One run is one draw of luck: the *Compare* tab runs a setting many times and "
              "shows the spread. Rules: Permenpan RB No. 4/2025 (at most two flexible days a "
              "week, not a right; service quality must not fall). Every mechanism and its "
              "source: docs/ODD.md.",
        "id": "Setiap ASN, pimpinan, dan warga adalah agen. Setiap pengaturan dijalankan "
              "**dua kali dari awal dan keberuntungan yang sama**: sekali dengan kerja "
              "fleksibel seperti diatur di kiri, sekali **hanya di kantor** (garis putus-"
              "putus) -- dunia yang sama tanpa kerja fleksibel. *Dampak* kebijakan adalah "
              "selisih keduanya; kedua dunia lebih dulu menjalani masa pemanasan sebelum "
              "minggu ke-1.\n\n"
              "- **Kinerja** adalah indeks: 100 x keluaran mingguan yang sebenarnya dikali "
              "mutunya per hari kerja, dirata-ratakan atas pegawai aktif -- kerja yang "
              "sungguh dilakukan, bukan yang diukur atau dilaporkan.\n"
              "- **Kepercayaan publik** (0-100) adalah rata-rata kepercayaan warga pada "
              "birokrasi; bergerak mengikuti layanan di loket, hasil yang dilaporkan, dan "
              "skandal di media (garis tegak merah).\n"
              "- **Mangkir kerja** adalah hari kerja yang tidak dikerjakan sesuai kesepakatan; "
              "**terdeteksi** adalah yang ditemukan verifikasi; **tuduhan keliru** mengenai "
              "pegawai yang sebenarnya bekerja.\n"
              "- Garis tegak menandai perubahan kebijakan (biru) atau skandal di media "
              "(merah); garis biru muda bertitik adalah putaran sebelum Reset terakhir.\n\n"
              "Satu putaran adalah satu undian keberuntungan: tab *Bandingkan* menjalankan "
              "pengaturan berkali-kali dan menampilkan sebarannya. Aturan: Permenpan RB No. "
              "4/2025 (paling banyak dua hari fleksibel per minggu, bukan hak; kualitas "
              "layanan tidak boleh turun). Setiap mekanisme dan sumbernya: docs/ODD.md."},
    "series.office_only": {"en": "office only (same world)",
                           "id": "hanya di kantor (dunia yang sama)"},
    "series.trust": {"en": "public trust (0-100)", "id": "kepercayaan publik (0-100)"},
    "series.trust_cf": {"en": "trust, office only", "id": "kepercayaan, hanya di kantor"},
    "series.distrustful": {"en": "% distrustful", "id": "% tidak percaya"},
    "series.shirking": {"en": "true shirking (% of staff-days)",
                        "id": "mangkir sebenarnya (% hari kerja)"},
    "series.detected": {"en": "detected (% staff/week)", "id": "terdeteksi (% pegawai/minggu)"},
    "series.false": {"en": "false accusations (% staff/week)",
                     "id": "tuduhan keliru (% pegawai/minggu)"},
    "series.uptake": {"en": "% using flexible days", "id": "% memakai hari fleksibel"},
    "series.eligible": {"en": "% eligible", "id": "% memenuhi syarat"},
    "series.flex_days": {"en": "flexible days per person", "id": "hari fleksibel per orang"},
    "series.attrition": {"en": "exits (resignations, retirements)",
                         "id": "keluar (mengundurkan diri, pensiun)"},
    "series.recruits": {"en": "recruits", "id": "rekrutan baru"},
    "axis.percent_staff_year": {"en": "% of staff per year (week's rate x 52)",
                                "id": "% pegawai per tahun (laju minggu ini x 52)"},
    "series.mean_trust": {"en": "mean trust (0-100)", "id": "rata-rata kepercayaan (0-100)"},
    "axis.week": {"en": "week", "id": "minggu"},
    "axis.index": {"en": "index", "id": "indeks"},
    "axis.percent": {"en": "%", "id": "%"},
    "axis.trust_short": {"en": "trust (0-100)", "id": "kepercayaan (0-100)"},
    "no_data": {"en": "Press Step or Play to simulate a week.",
                "id": "Tekan Langkah atau Putar untuk menyimulasikan satu minggu."},
    # office floor
    "floor.office": {"en": "in the office all week", "id": "di kantor sepanjang minggu"},
    "floor.mixed": {"en": "1-2 flexible days", "id": "1-2 hari fleksibel"},
    "floor.remote": {"en": "3+ flexible days", "id": "3+ hari fleksibel"},
    "floor.sanctioned": {"en": "reprimanded (no flexible work)",
                         "id": "ditegur (tanpa kerja fleksibel)"},
    "floor.vacant": {"en": "vacant desk", "id": "meja kosong"},
    "floor.help": {"en": "Each square is one civil servant; rows are teams, grouped by agency. "
                         "Faint = low effort, solid = full effort. Hover for details.",
                   "id": "Setiap kotak adalah satu ASN; baris adalah tim, dikelompokkan per "
                         "instansi. Pudar = upaya rendah, pekat = upaya penuh. Arahkan kursor "
                         "untuk rincian."},
    "floor.agency": {"en": "Agency {a} ({region})", "id": "Instansi {a} ({region})"},
    "floor.team": {"en": "team {t}", "id": "tim {t}"},
    "tip.age": {"en": "age", "id": "usia"},
    "tip.job": {"en": "job family", "id": "rumpun jabatan"},
    "tip.flex": {"en": "flexible days", "id": "hari fleksibel"},
    "tip.effort": {"en": "effort", "id": "upaya"},
    "tip.belief": {"en": "leader's trust", "id": "kepercayaan atasan"},
    "tip.sanction": {"en": "reprimand (weeks left)", "id": "teguran (sisa minggu)"},
    "tip.region": {"en": "region", "id": "wilayah"},
    "citizens.distrustful": {"en": "% distrustful", "id": "% tidak percaya"},
    # comparison
    "compare.help": {
        "en": "Runs the current settings (A) and a scenario (B) N times each, with the same "
              "seeds, in background processes. Each is plotted as its effect against its own "
              "office-only world (the same world without flexiwork): the middle 90% of runs as "
              "a band, their mean as a line. Every comparison of this session stays here "
              "(switch tab or language freely); run again to add more.",
        "id": "Menjalankan pengaturan saat ini (A) dan sebuah skenario (B) masing-masing N "
              "kali, dengan angka acak awal (seed) yang sama, di proses latar. Masing-masing "
              "digambarkan sebagai dampaknya dibanding dunia hanya-di-kantor miliknya "
              "sendiri (dunia yang sama tanpa kerja fleksibel): 90% putaran tengah sebagai "
              "pita, rata-ratanya sebagai garis. Setiap perbandingan sesi ini tetap di sini "
              "(bebas berpindah tab atau bahasa); jalankan lagi untuk menambah."},
    "compare.a": {"en": "A: the current settings", "id": "A: pengaturan saat ini"},
    "compare.b": {"en": "B: scenario", "id": "B: skenario"},
    "compare.n": {"en": "Replications per setting", "id": "Replikasi per pengaturan"},
    "compare.weeks": {"en": "Weeks", "id": "Minggu"},
    "compare.asn": {"en": "ASN agents per run", "id": "Agen ASN per putaran"},
    "compare.run": {"en": "Run comparison", "id": "Jalankan perbandingan"},
    "compare.cancel": {"en": "Cancel", "id": "Batal"},
    "compare.clear": {"en": "Clear all", "id": "Hapus semua"},
    "compare.progress": {"en": "{done} of {total} runs done",
                         "id": "{done} dari {total} putaran selesai"},
    "compare.failed": {"en": "The comparison failed: {error}",
                       "id": "Perbandingan gagal: {error}"},
    "compare.band": {"en": "{name}: middle 90% of runs", "id": "{name}: 90% putaran tengah"},
    "compare.mean": {"en": "{name}: mean", "id": "{name}: rata-rata"},
    "compare.csv.lo": {"en": "{name}: 5th percentile of runs",
                       "id": "{name}: persentil ke-5 putaran"},
    "compare.csv.hi": {"en": "{name}: 95th percentile of runs",
                       "id": "{name}: persentil ke-95 putaran"},
    "compare.download": {"en": "Download results folder",
                         "id": "Unduh folder hasil"},
    "compare.download_help": {
        "en": "A .zip with one results folder per comparison run, named after its runs "
              "({folder}, ...): unzip it and run `flexisim analyze {folder}`.",
        "id": "Berkas .zip berisi satu folder hasil per perbandingan yang dijalankan, "
              "dinamai menurut putarannya ({folder}, ...): ekstrak lalu jalankan "
              "`flexisim analyze {folder}`."},
    "compare.not_exported": {
        "en": "Runs {runs} are not in the results folder: their settings change levers "
              "during the run (a schedule), which an experiment file cannot describe.",
        "id": "Putaran {runs} tidak masuk folder hasil: pengaturannya mengubah instrumen "
              "kebijakan selama putaran (jadwal), yang tidak dapat ditulis dalam berkas "
              "eksperimen."},
    "compare.view.effects": {"en": "Effects vs office only",
                             "id": "Dampak vs hanya di kantor"},
    "compare.view.levels": {"en": "Levels", "id": "Nilai absolut"},
    "compare.chart.performance_effect": {
        "en": "Performance: effect against the office-only world",
        "id": "Kinerja: dampak dibanding dunia hanya di kantor"},
    "compare.chart.trust_effect": {
        "en": "Public trust: effect against the office-only world",
        "id": "Kepercayaan publik: dampak dibanding dunia hanya di kantor"},
    "compare.chart.performance_level": {"en": "Performance (with flexiwork)",
                                        "id": "Kinerja (dengan kerja fleksibel)"},
    "compare.chart.trust_level": {"en": "Public trust (with flexiwork)",
                                  "id": "Kepercayaan publik (dengan kerja fleksibel)"},
    "chart.shirking_level": {"en": "Shirking (true, with flexiwork)",
                             "id": "Mangkir kerja (sebenarnya, dengan kerja fleksibel)"},
    "compare.unit.percent_vs_office": {"en": "% vs office only", "id": "% vs hanya di kantor"},
    "compare.unit.points_vs_office": {"en": "points vs office only",
                                      "id": "poin vs hanya di kantor"},
    "compare.unit.percent_workdays": {"en": "% of work days", "id": "% hari kerja"},
    "compare.unit.percent_staff": {"en": "% of staff", "id": "% pegawai"},
    "compare.unit.index": {"en": "performance index (0-100)", "id": "indeks kinerja (0-100)"},
    "compare.unit.trust": {"en": "public trust (0-100)", "id": "kepercayaan publik (0-100)"},
    "compare.summary": {
        "en": "{name} ({n} runs x {weeks} weeks, {asn} ASN): performance {perf}% against "
              "office only (90% of runs: {lo} to {hi}); public trust at the end {trust} points "
              "against office only ({trust_lo} to {trust_hi}; level {level})",
        "id": "{name} ({n} putaran x {weeks} minggu, {asn} ASN): kinerja {perf}% dibanding "
              "hanya di kantor (90% putaran: {lo} s.d. {hi}); kepercayaan publik di akhir "
              "{trust} poin dibanding hanya di kantor ({trust_lo} s.d. {trust_hi}; nilai "
              "{level})"},
    # the room's controls in the app bar (panels.RoomControls)
    "room.step": {"en": "Step one week (key S)", "id": "Maju satu minggu (tombol L atau S)"},
    "room.play": {"en": "Play / pause (key P)", "id": "Putar / jeda (tombol P)"},
    "room.reset": {"en": "Reset: start again with the settings shown (key R)",
                   "id": "Reset: mulai lagi dengan pengaturan yang tampil (tombol R)"},
    "room.aria.step": {"en": "Advance one week", "id": "Maju satu minggu"},
    "room.aria.play": {"en": "Play or pause", "id": "Putar atau jeda"},
    "room.aria.reset": {"en": "Start again", "id": "Mulai lagi"},
    "room.presenting": {"en": "Presenting mode: large type, settings hidden",
                        "id": "Mode presentasi: huruf besar, pengaturan disembunyikan"},
    # export buttons on every chart (echarts.py)
    "export.png": {"en": "Save this chart as a picture (PNG)",
                   "id": "Simpan grafik ini sebagai gambar (PNG)"},
    "export.csv": {"en": "Save this chart's data as a table (CSV)",
                   "id": "Simpan data grafik ini sebagai tabel (CSV)"},
    # why: the channel waterfall (why.py)
    "why.help": {
        "en": "Where does the effect come from? Every difference between the policy world and "
              "its office-only twin enters through a **channel**: who takes flexible days, "
              "the trust signal of approval, deterrence away from the office, temptation at "
              "home, remote productivity, the counter, what citizens hear... The button "
              "splits the current settings' effect into the channels' shares (Shapley "
              "values, which add up to the effect exactly), in the background; the largest "
              "are shown, the rest summed. One seed and one pair of channel orders: a "
              "sketch for the room; `flexisim explain` gives intervals over replications.",
        "id": "Dari mana dampaknya berasal? Setiap perbedaan antara dunia kebijakan dan "
              "kembarannya yang hanya di kantor masuk melalui sebuah **kanal**: siapa yang "
              "mengambil hari fleksibel, sinyal kepercayaan dari persetujuan, efek jera di "
              "luar kantor, godaan di rumah, produktivitas kerja jarak jauh, loket layanan, "
              "apa yang didengar warga... Tombol ini membagi dampak pengaturan saat ini ke "
              "dalam porsi tiap kanal (nilai Shapley, yang jumlahnya tepat sama dengan "
              "dampaknya), di latar belakang; yang terbesar ditampilkan, sisanya dijumlahkan. "
              "Satu angka acak awal dan satu pasang urutan kanal: gambaran untuk ruangan; "
              "`flexisim explain` memberi selang atas beberapa replikasi."},
    "why.run": {"en": "Explain by channel", "id": "Uraikan per kanal"},
    "why.starting": {"en": "starting (warm-up and office-only twin)...",
                     "id": "memulai (pemanasan dan kembaran hanya di kantor)..."},
    "why.no_flexiwork": {"en": "Flexiwork is off in these settings: there is no effect to "
                               "explain.",
                         "id": "Kerja fleksibel tidak berlaku dalam pengaturan ini: tidak ada "
                               "dampak untuk diuraikan."},
    "why.what": {"en": "{name}, {asn} ASN x {weeks} weeks, one seed",
                 "id": "{name}, {asn} ASN x {weeks} minggu, satu angka acak awal"},
    "why.chart.performance": {"en": "Performance against office only: {effect} %",
                              "id": "Kinerja dibanding hanya di kantor: {effect} %"},
    "why.chart.trust": {"en": "Public trust against office only at the end: {effect} points",
                        "id": "Kepercayaan publik dibanding hanya di kantor di akhir: "
                              "{effect} poin"},
    "why.rest": {"en": "the other {n} channels", "id": "{n} kanal lainnya"},
    "why.total": {"en": "Effect (total)", "id": "Dampak (total)"},
    # Mesa's SolaraViz texts (see mesa_i18n.py)
    "mesa.Controls": {"en": "Controls", "id": "Kendali"},
    "mesa.Play Interval (ms)": {"en": "Play interval (ms)", "id": "Jeda putar (ms)"},
    "mesa.Render Interval (steps)": {"en": "Redraw every (weeks)",
                                     "id": "Perbarui grafik tiap (minggu)"},
    "mesa.Use Threads": {"en": "Use threads", "id": "Gunakan utas"},
    "mesa.Increase play interval to avoid skipping plots": {
        "en": "Increase the play interval to avoid skipping plots",
        "id": "Perbesar jeda putar agar grafik tidak terlewat"},
    "mesa.Reset": {"en": "Reset", "id": "Reset"},
    "mesa.Step": {"en": "Step", "id": "Langkah"},
    "mesa.Model Parameters": {"en": "Settings", "id": "Pengaturan"},
    "mesa.Information": {"en": "Information", "id": "Informasi"},
    "mesa.Command Console": {"en": "Command console", "id": "Konsol perintah"},
    "mesa.error in step": {"en": "error in step", "id": "galat pada langkah"},
    "mesa.error in visualization": {"en": "error in visualization", "id": "galat pada tampilan"},
}

#: Scenario descriptions in Indonesian (the files carry English ones; shown when the language
#: is Indonesian, falling back to the file's text for scenarios added later).
SCENARIO_DESCRIPTIONS_ID: dict[str, str] = {
    "control_heavy": "Kerja fleksibel di bawah kontrol: pengawasan berbasis kehadiran, verifikasi "
                     "dan sanksi berat, tanpa pelatihan",
    "digital_divide": "Kerja fleksibel dengan infrastruktur timpang: kesenjangan wilayah lebih "
                      "lebar, perangkat lebih sedikit, internet dan platform lebih lemah",
    "inspired_australia_work_life_balance": "Terinspirasi reformasi APS Australia: keseimbangan "
                                            "kerja-hidup dan layanan digital (bukan model "
                                            "Australia)",
    "inspired_canada_talent_retention": "Terinspirasi Kanada: kerja fleksibel untuk menarik dan "
                                        "mempertahankan talenta (bukan model Kanada)",
    "inspired_finland_trust": "Terinspirasi Finlandia: kepemimpinan berbasis kepercayaan, "
                              "pimpinan terlatih, pengawasan berbasis hasil (bukan model "
                              "Finlandia)",
    "inspired_new_zealand_open_reporting": "Terinspirasi Selandia Baru: strategi yang "
                                           "dipublikasikan dan pelaporan hasil terbuka (bukan "
                                           "model Selandia Baru)",
    "inspired_singapore_digital_leadership": "Terinspirasi Singapura: pelatihan kepemimpinan "
                                             "digital untuk semua pimpinan, platform lebih baik "
                                             "(bukan model Singapura)",
    "inspired_uk_smart_working": "Terinspirasi smart working Inggris: lokasi mana pun selama "
                                 "target tercapai (bukan model Inggris)",
    "office_only": "Kontrafaktual: tanpa kerja fleksibel, semua di kantor (selebihnya Permenpan "
                   "RB 4/2025)",
    "permenpan_4_2025": "Permenpan RB No. 4/2025 sebagaimana berlaku saat ini (acuan; semua "
                        "nilai bawaan)",
    "three_flexible_days": "Tiga hari kerja fleksibel per minggu atas permohonan, aturan lain "
                           "tetap (di luar Permenpan RB 4/2025)",
    "trust_but_verify": "Percaya, tapi verifikasi: kepercayaan tinggi, pengawasan berbasis "
                        "hasil, pengukuran kredibel, pelaporan terbuka",
    "trust_without_verify": "Kerja fleksibel dengan kepercayaan tinggi tetapi hampir tanpa "
                            "verifikasi: fleksibilitas dibaca sebagai longgarnya disiplin",
    "wfh_2020_decree": "Surat edaran WFH 2020: seluruh unit bekerja dari rumah, semua yang bisa, "
                       "5 hari seminggu (di luar Permenpan RB 4/2025)",
    "invest_in_prerequisites": "Aturan saat ini dengan anggaran tiga tahun untuk perangkat dan "
                               "koneksi, internet warga, integrasi e-Kinerja dan pelatihan "
                               "kepemimpinan",
    "pilot_then_rollout": "Uji coba di separuh instansi pusat, penerapan nasional setelah setahun, "
                          "aturan diperketat setelah skandal di media",
    "shifts_and_dynamic_hours": "Permenpan RB 4/2025 dengan fleksibilitas waktu: 30% pegawai "
                                "bekerja sif atau jam dinamis, loket buka lebih lama",
}

#: Short names of the shipped scenarios for menus and legends (a file's name is an id, not a
#: title: "inspired_finland_trust" means nothing to a room); later files fall back to their
#: name with spaces.
SCENARIO_TITLES: dict[str, dict[str, str]] = {
    "control_heavy": {"en": "Control-heavy", "id": "Kontrol ketat"},
    "digital_divide": {"en": "Digital divide", "id": "Kesenjangan digital"},
    "inspired_australia_work_life_balance": {"en": "Inspired by Australia",
                                             "id": "Terinspirasi Australia"},
    "inspired_canada_talent_retention": {"en": "Inspired by Canada",
                                         "id": "Terinspirasi Kanada"},
    "inspired_finland_trust": {"en": "Inspired by Finland", "id": "Terinspirasi Finlandia"},
    "inspired_new_zealand_open_reporting": {"en": "Inspired by New Zealand",
                                            "id": "Terinspirasi Selandia Baru"},
    "inspired_singapore_digital_leadership": {"en": "Inspired by Singapore",
                                              "id": "Terinspirasi Singapura"},
    "inspired_uk_smart_working": {"en": "Inspired by the UK", "id": "Terinspirasi Inggris"},
    "invest_in_prerequisites": {"en": "Invest in the prerequisites",
                                "id": "Investasi pada prasyarat"},
    "office_only": {"en": "Office only", "id": "Hanya di kantor"},
    "permenpan_4_2025": {"en": "Permenpan RB 4/2025 (today)",
                         "id": "Permenpan RB 4/2025 (saat ini)"},
    "pilot_then_rollout": {"en": "Pilot, then rollout", "id": "Uji coba, lalu penerapan"},
    "shifts_and_dynamic_hours": {"en": "Shifts and dynamic hours", "id": "Sif dan jam dinamis"},
    "three_flexible_days": {"en": "Three flexible days", "id": "Tiga hari fleksibel"},
    "trust_but_verify": {"en": "Trust, but verify", "id": "Percaya, tapi verifikasi"},
    "trust_without_verify": {"en": "Trust without verifying",
                             "id": "Percaya tanpa verifikasi"},
    "wfh_2020_decree": {"en": "WFH decree of 2020", "id": "Surat edaran WFH 2020"},
}


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """The text `key` in `lang` (default: the session's language), formatted with `fmt`.

    An unknown key is returned as is, so a typo shows up on the page instead of crashing a
    workshop; the test suite checks that every key used exists.
    """
    entry = TEXTS.get(key)
    if entry is None:
        return key
    text = entry[lang or language.value]
    return text.format(**fmt) if fmt else text


#: Region names in Bahasa Indonesia (the data files name them in English); BPS writes
#: "Jawa", "Sumatera", "Maluku", "Papua".
REGIONS_ID: dict[str, str] = {
    "Java-Bali": "Jawa-Bali", "Sumatra": "Sumatera", "Kalimantan": "Kalimantan",
    "Sulawesi": "Sulawesi", "Nusa Tenggara": "Nusa Tenggara", "Maluku-Papua": "Maluku-Papua",
}


def region_label(region: str, lang: str | None = None) -> str:
    """A region's name in the reader's language."""
    return REGIONS_ID.get(region, region) if (lang or language.value) == "id" else region


#: The levers' units (levers.toml writes them in English) in Bahasa Indonesia.
UNITS_ID: dict[str, str] = {
    "-": "-",
    "agents": "agen",
    "Rp billion a year (2025 prices)": "Rp miliar per tahun (harga 2025)",
    "citizens per ASN agent": "warga per agen ASN",
    "days/week": "hari/minggu",
    "index": "indeks",
    "index (0 control, 1 trust)": "indeks (0 kontrol, 1 kepercayaan)",
    "public cases per region-week per % of staff detected":
        "kasus publik per wilayah-minggu per % pegawai terdeteksi",
    "share of ASN": "porsi ASN",
    "share of agencies": "porsi instansi",
    "share of frontline posts": "porsi jabatan garda depan",
    "share of frontline staff-days": "porsi hari kerja pegawai garda depan",
    "share of hires": "porsi rekrutan",
    "share of leaders": "porsi pimpinan",
    "share of leaders a year": "porsi pimpinan per tahun",
    "share of outputs per week": "porsi keluaran per minggu",
    "share of staff": "porsi pegawai",
    "share of staff-days": "porsi hari kerja pegawai",
    "weeks": "minggu",
    "weight": "bobot",
    "x today's gap": "x kesenjangan saat ini",
    "years": "tahun",
}


def unit_text(unit: str, lang: str | None = None) -> str:
    """A lever's unit in the reader's language."""
    return UNITS_ID.get(unit, unit) if (lang or language.value) == "id" else unit


@functools.lru_cache(maxsize=1)
def sources_id() -> dict[str, dict[str, str]]:
    """The levers' sources in Bahasa Indonesia (``flexisim/data/lever_sources_id.json``),
    each stored with the English text it translates."""
    path = Path(__file__).resolve().parents[1] / "data" / "lever_sources_id.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))["sources"])


def lever_source(kwarg: str, lang: str | None = None) -> str:
    """Where a lever's default comes from (levers.toml ``source``), in the reader's language;
    citations (names of decrees, studies, files) as written. A translation made for another
    English text is not used: the English one is shown instead."""
    lang = lang or language.value
    source = LEVERS[kwarg].source
    entry = sources_id().get(kwarg)
    if lang == "id" and entry is not None and entry["en"] == source:
        source = entry["id"]
    return t("lever.source", lang, source=source)


def lever_help(kwarg: str, lang: str | None = None) -> str:
    """Help text of a lever from the lever schema, in the session's language."""
    lever = LEVERS[kwarg]
    return lever.id if (lang or language.value) == "id" else lever.en


def lever_label(kwarg: str, lang: str | None = None) -> str:
    """Short label of a main lever; the schema's help text for the others."""
    key = f"lever.{kwarg}"
    return t(key, lang) if key in TEXTS else lever_help(kwarg, lang)


def choice_label(choice: str, lang: str | None = None) -> str:
    key = f"choice.{choice}"
    return t(key, lang) if key in TEXTS else choice


def scenario_description(name: str, english: str, lang: str | None = None) -> str:
    if (lang or language.value) == "id" and name in SCENARIO_DESCRIPTIONS_ID:
        return SCENARIO_DESCRIPTIONS_ID[name]
    return english


_MESA_ERROR = re.compile(r"^(error in step|error in visualization): (.*)$", re.S)
_MESA_TIME = re.compile(r"^Time: (\d+)(?:\.0+)?$")


def mesa_text(text: object, lang: str | None = None) -> object:
    """Translate one of Mesa's fixed SolaraViz texts; anything else passes through unchanged."""
    if not isinstance(text, str):
        return text
    key = f"mesa.{text}"
    if key in TEXTS:
        return t(key, lang)
    match = _MESA_TIME.match(text)
    if match:  # Mesa shows model.time; one unit of time is one simulated week here
        return t("week", lang, n=match[1])
    match = _MESA_ERROR.match(text)
    if match:
        return f"{t('mesa.' + match[1], lang)}: {match[2]}"
    return text


def number(value: float, lang: str | None = None, digits: int = 2) -> str:
    """A number as the reader writes it: 1,234.5 in English, 1.234,5 in Bahasa Indonesia
    (trailing zeros dropped; -0 shown as 0)."""
    text = f"{float(value):,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if (lang or language.value) == "id":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


#: The validator's phrases (flexisim/scenario.py writes them in English for the CLI) in
#: Bahasa Indonesia, applied in this order to each "file: where: value: what" line; names,
#: values and quoted suggestions are kept as they are.
PROBLEMS_ID: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    (r"unknown field \(did you mean ('[^']*')\? it belongs under (\[[^\]]*\])\)",
     r"kolom tidak dikenal (maksud Anda \1? letaknya di bawah \2)"),
    (r"unknown top-level key \(did you mean ('[^']*')\? it belongs under (\[[^\]]*\])\)",
     r"kunci tingkat atas tidak dikenal (maksud Anda \1? letaknya di bawah \2)"),
    (r"\(did you mean ('[^']*')\?\)", r"(maksud Anda \1?)"),
    (r"unknown field", "kolom tidak dikenal"),
    (r"unknown table", "tabel tidak dikenal"),
    (r"unknown top-level key", "kunci tingkat atas tidak dikenal"),
    (r"\(allowed: at most (\d+) levels\)", r"(yang diperbolehkan: paling banyak \1 tingkat)"),
    (r"\(allowed: at most (\d+) files, each extending the next\)",
     r"(yang diperbolehkan: paling banyak \1 berkas, masing-masing memperluas berkas berikutnya)"),
    (r"\(allowed: at most (\d+) bytes\)", r"(yang diperbolehkan: paling banyak \1 bita)"),
    (r"too large: (\d+) bytes", r"terlalu besar: \1 bita"),
    (r"\(allowed: ", "(yang diperbolehkan: "),
    (r"below the minimum", "di bawah nilai minimum"),
    (r"above the maximum", "di atas nilai maksimum"),
    (r"not a finite number", "bukan bilangan terhingga"),
    (r"not one of the choices", "bukan salah satu pilihan"),
    (r"is not a choice", "bukan salah satu pilihan"),
    (r"appears more than once", "muncul lebih dari sekali"),
    (r"expected true or false, got ", "seharusnya true atau false, tetapi berupa "),
    (r"expected an integer, got ", "seharusnya bilangan bulat, tetapi berupa "),
    (r"expected a number, got ", "seharusnya bilangan, tetapi berupa "),
    (r"expected a string, got ", "seharusnya teks, tetapi berupa "),
    (r"expected a list, got ", "seharusnya daftar, tetapi berupa "),
    (r"expected a table (\[[^\]]*\]), got ", r"seharusnya tabel \1, tetapi berupa "),
    (r"expected a table, got ", "seharusnya tabel, tetapi berupa "),
    (r"expected the name of a scenario", "seharusnya nama sebuah skenario"),
    (r"line (\d+), column (\d+): invalid TOML: ", r"baris \1, kolom \2: TOML tidak sah: "),
    (r"file not found", "berkas tidak ditemukan"),
    (r"not UTF-8 text \(bad byte at offset (\d+)\)", r"bukan teks UTF-8 (bita salah di posisi \1)"),
    (r"nested too deeply to read", "bersarang terlalu dalam untuk dibaca"),
    # hostile files' bounds (flexisim/scenario.py, flexisim/errors.py)
    (r"arrays or inline tables nested more than (\d+) levels deep",
     r"larik atau tabel sebaris bersarang lebih dari \1 tingkat"),
    (r"tables nested more than (\d+) levels deep", r"tabel bersarang lebih dari \1 tingkat"),
    (r"extends chain longer than (\d+) files", r"rantai extends lebih panjang dari \1 berkas"),
    (r"… \(([\d,]+) characters\)", lambda m: f"… ({m[1].replace(',', '.')} karakter)"),
    # the schedule's ([[schedule]] entries, flexisim/schedule.py)
    (r"expected an array of tables, got ", "seharusnya larik tabel, tetapi berupa "),
    (r"(\d+) entries \(allowed: at most (\d+)\)",
     r"\1 entri (yang diperbolehkan: paling banyak \2)"),
    (r"one line of text", "satu baris teks"),
    (r"not a weekly output", "bukan keluaran mingguan"),
    (r"not a week\b", "bukan minggu yang sah"),
    (r"an integer from (\d+) to (\d+); week 1 is the first policy week",
     r"bilangan bulat dari \1 sampai \2; minggu ke-1 adalah minggu pertama kebijakan"),
    (r"(\[[^\]]*\]) is set once for a run and cannot change in a schedule",
     r"\1 ditetapkan sekali untuk satu putaran dan tidak dapat diubah dalam jadwal"),
    (r"lever = value pairs", "pasangan instrumen = nilai"),
    (r"a national lever: it cannot differ by agency \(set it in an entry without "
     r"`agencies`\)", "instrumen nasional: tidak dapat berbeda per instansi (tetapkan dalam "
     "entri tanpa `agencies`)"),
    (r"agency levers: ", "instrumen instansi: "),
    (r"sets no lever \(add a lever table, e\.g\. ",
     "tidak menetapkan instrumen apa pun (tambahkan tabel instrumen, misalnya "),
    (r"not a kind of government", "bukan jenis pemerintahan"),
    (r"'central' or 'regional'", "'central' (pusat) atau 'regional' (daerah)"),
    (r"not a list of distinct region names", "bukan daftar nama wilayah yang berbeda-beda"),
    (r"not a range of shares", "bukan rentang porsi"),
    (r"\[low, high\] with 0 <= low <= high <= 1",
     "[bawah, atas] dengan 0 <= bawah <= atas <= 1"),
    (r"not a share", "bukan porsi"),
    (r"a number above 0 and at most 1", "bilangan di atas 0 dan paling besar 1"),
    (r"unknown key", "kunci tidak dikenal"),
    (r"output, above or below, weeks", "output, above atau below, weeks"),
    (r"an output of the timeseries, e\.g\. ", "sebuah keluaran deret waktu, misalnya "),
    (r"\(docs/ODD\.md, section 10\.1, lists them\)", "(daftarnya di docs/ODD.md, bagian 10.1)"),
    (r"an output of the timeseries", "sebuah keluaran deret waktu"),
    (r"not a number of weeks", "bukan jumlah minggu"),
    (r"an integer from (\d+) to (\d+)", r"bilangan bulat dari \1 sampai \2"),
    (r"a number from (\S+) to (\S+?)\)", r"bilangan dari \1 sampai \2)"),
    (r"no output named", "tidak ada keluaran yang disebut"),
    (r"give exactly one of above, below", "berikan tepat satu dari above, below"),
    (r"unknown lever", "instrumen tidak dikenal"),
    (r", and the lever tables ", ", dan tabel instrumen "),
    (r"\belement\b", "elemen"),
    (r"\ba boolean\b", "boolean"), (r"\ban integer\b", "bilangan bulat"),
    (r"\ba decimal number\b", "bilangan desimal"), (r"\ba string\b", "teks"),
    (r"\ba list\b", "daftar"), (r"\ba table\b", "tabel"),
    (r", not a string", ", bukan teks"),
)


def memory_text(estimate: Any, lang: str | None = None) -> str:
    """Why a model was not built (a :class:`flexisim.dashboard.memory.Estimate`): what it
    needs, what the dashboard has free, and the largest population that fits."""
    from flexisim.dashboard.memory import BUILD_ON_REQUEST_ASN, megabytes

    lang = lang or language.value
    need = number(megabytes(estimate.needed, up=True), lang, 0)
    n = number(estimate.n_asn, lang, 0)
    what = (t("memory.runs", lang, runs=estimate.models, n=n, need=need) if estimate.in_workers
            else t("memory.model", lang, n=n, need=need))
    if estimate.available is None:
        return f"{what}; {t('memory.unknown', lang, n=number(BUILD_ON_REQUEST_ASN, lang, 0))}"
    free = t("memory.free", lang, free=number(megabytes(estimate.available, up=False), lang, 0))
    largest = (t("memory.largest", lang, n=number(estimate.largest, lang, 0))
               if estimate.largest else t("memory.none", lang))
    return f"{what}; {free} {largest}"


def problem_text(line: str, lang: str | None = None) -> str:
    """One line of the validator's report in the reader's language (see PROBLEMS_ID; a
    phrase not in the table stays in English)."""
    if (lang or language.value) != "id":
        return line
    for pattern, replacement in PROBLEMS_ID:
        line = re.sub(pattern, replacement, line)
    return line


def scenario_title(name: str, lang: str | None = None) -> str:
    """A scenario's short name in the reader's language (its file name for unknown ones)."""
    titles = SCENARIO_TITLES.get(name)
    if titles:
        return titles[lang or language.value]
    return name.removesuffix(".toml").replace("_", " ")


def settings_title(name: str, modified: bool = False, lang: str | None = None) -> str:
    """The title of the page's settings: their scenario's, "(your settings)" once changed."""
    title = scenario_title(name, lang)
    return f"{title} {t('scenario_custom', lang)}" if modified else title


def signed(value: float, lang: str | None = None, digits: int = 1) -> str:
    """A change with its sign and ``digits`` decimals, as the reader writes it: +1.8 / +1,8,
    -0.4 / -0,4; what rounds to zero is 0.0 / 0,0, never -0.0."""
    rounded = round(float(value), digits) + 0.0  # + 0.0: -0.0 becomes 0.0
    text = f"{rounded:+,.{digits}f}" if rounded else f"{0.0:.{digits}f}"
    if (lang or language.value) == "id":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def value_text(value: Any, lang: str | None = None) -> str:
    """A lever's value in words: yes/no, a number, or a list of choices."""
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, int | float):
        return number(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(choice_label(str(v), lang) for v in value)
    return choice_label(str(value), lang)


def change_text(change: Any, lang: str | None = None) -> str:
    """One change of a schedule in words: its levers, where and from when."""
    what = "; ".join(f"{lever_label(k, lang)} = {value_text(v, lang)}"
                     for k, v in change.values.items())
    if change.when is None:
        when = t("change.from_week", lang, n=change.from_week)
    else:
        w = change.when
        sign, limit = (">", w.above) if w.above is not None else ("<", w.below)
        when = t("change.when", lang, output=w.output, sign=sign, value=number(limit, lang))
    where = f" ({t('change.agencies', lang)})" if change.agencies is not None else ""
    return f"{what}{where}: {when}"
