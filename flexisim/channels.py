"""Channels: the points where flexible work enters the weekly story.

The policy world differs from its office-only twin only through the flexiwork state --
who is approved and how many flexible days each person takes. Each place where a mechanism
reads that state is a **channel**, switched by a gate ``ch_<name>`` (a parameter of the
world, 1 = on, the default). With a gate at 0 the mechanism computes that term as in the
office (a flexible day as productive as an office day, deterred as in the office, ...).
With every gate at 0 the policy world is the twin, bit for bit (tests/test_explain.py), so
switching channels on one by one in every order splits the effect against the twin into
parts that add up to it (Shapley values, :mod:`flexisim.explain`).

Some channels are *paths*, not entry points: public trust hears of the policy world through
reported results (communication), public cases (scandals) and back-office delays, which
differ from the twin's only because of the other channels. Off, the policy world's citizens
see the twin's value of that week; only :mod:`flexisim.explain`, which runs the twin first
and records them, can switch them off.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CHANNELS", "PATHS", "Channel", "gate_name"]


class Channel(NamedTuple):
    """One channel: where it acts, and its labels."""

    mechanism: str  # registry name of the mechanism the gate sits in
    en: str
    id: str
    description: str
    #: a *path* channel: off, the policy world uses the twin's value of an intermediate
    #: quantity (which only the decomposition, running the twin first, can supply)
    path: bool = False
    #: of a path channel: the (table, column) of that quantity; the world reads the twin's
    #: values from the column ``<column>_reference``
    reference: tuple[str, str] | None = None


#: every channel, in the order of the weekly story
CHANNELS: dict[str, Channel] = {
    "selection": Channel(
        "workmode", "Selection (who takes flexible days)",
        "Seleksi (siapa mengambil hari fleksibel)",
        "low-motivation staff favour unobserved days (day_slack); off: days chosen without it"),
    "signalling": Channel(
        "signalling", "Signal of being granted", "Sinyal diberi kepercayaan",
        "extra reciprocity of staff granted flexibility (grant_signal; off by default)"),
    "deterrence": Channel(
        "effort", "Deterrence away from the office", "Efek jera di luar kantor",
        "presence-watching does not deter idling on flexible days; off: deterred as in the office"),
    "temptation": Channel(
        "effort", "Temptation at home", "Godaan di rumah",
        "extra temptation to idle on flexible days (temptation_remote)"),
    "remote_productivity": Channel(
        "production", "Remote-day productivity", "Produktivitas hari jarak jauh",
        "commute and focus gains, device, internet and skill losses on flexible days, and late "
        "work through weak connections"),
    "coordination": Channel(
        "production", "Coordination loss", "Hambatan koordinasi",
        "the team's remote share slows coordination-heavy work (E4)"),
    "time_productivity": Channel(
        "production", "Working one's own hours", "Bekerja pada jam sendiri",
        "staff on shifts or dynamic hours gain output (time_productivity): fewer absences"),
    "time_coordination": Channel(
        "production", "Hours apart (time flexibility)", "Jam kerja terpisah (fleksibilitas waktu)",
        "shifts and dynamic hours leave less shared time in a team (off_core_hours)"),
    "detection": Channel(
        "oversight", "Detection of idling", "Deteksi kemalasan",
        "presence-watching leaders cannot catch idling on flexible days"),
    "leader_visibility": Channel(
        "oversight", "Leaders' visibility bias", "Bias keterlihatan atasan",
        "control leaders lose belief for days they do not see (visibility_bias)"),
    "leader_learning": Channel(
        "leadership", "Leaders learning from flexible teams",
        "Pimpinan belajar dari tim fleksibel",
        "a leader's style drifts toward how far their flexible team proved trustworthy "
        "(style_learning); off: leaders learn nothing from flexible days"),
    "revocation": Channel(
        "oversight", "Revocation after a reprimand", "Pencabutan setelah teguran",
        "a reprimand withdraws flexible-work approval while it runs"),
    "counter_capacity": Channel(
        "citizens", "Service capacity at the counter", "Kapasitas layanan di loket",
        "frontline staff away from the counter serve nobody there"),
    "digital_staffing": Channel(
        "citizens", "Frontline staff serving online", "Petugas garda depan melayani daring",
        "frontline staff on flexible days serve the digital channel; off: they serve nobody"),
    "public_visibility": Channel(
        "citizens", "Visibility to citizens", "Keterlihatan bagi warga",
        "citizens who find the counter thinned out trust less (P4), as softened by communication"),
    "time_hours": Channel(
        "citizens", "Extended counter hours", "Jam layanan loket diperpanjang",
        "shifts staff longer opening hours: citizens who cannot come in office hours are "
        "served without taking leave; off: served late, as in the twin"),
    "time_thinning": Channel(
        "citizens", "Thinner counter at peak hours", "Loket lebih sepi pada jam sibuk",
        "the same staff-days spread over longer hours leave the counter thinner in the core "
        "hours (visibility, P4)"),
    "press": Channel(
        "citizens", "Misconduct away from the office in the press",
        "Pelanggaran di luar kantor di media",
        "the press finds idling on flexible days; off: it is seen as idling in the office is"),
    "communication": Channel(
        "citizens", "Reported results (communication)", "Laporan hasil (komunikasi)",
        "citizens reached by results reporting see the policy world's measured results; off: "
        "the twin's", path=True, reference=("agencies", "reported")),
    "scandals": Channel(
        "perception", "Public scandals", "Skandal publik",
        "misconduct that becomes public (records, observation, press); off: the twin's "
        "number of cases", path=True, reference=("regions", "scandals")),
    "perception": Channel(
        "citizens", "Public image of an absent civil service",
        "Citra publik birokrasi yang absen",
        "the persistent image formed by visible absence and public cases; off: the twin's",
        path=True, reference=("regions", "perception_seen")),
    "backoffice": Channel(
        "citizens", "Back-office delays", "Keterlambatan layanan administrasi",
        "casework citizens wait for (permits, benefits, salaries) waits as long as the "
        "policy world's back office makes it; off: as long as the twin's", path=True,
        reference=("agencies", "delay")),
    "wellbeing_retention": Channel(
        "workforce", "Well-being and retention", "Kesejahteraan dan retensi",
        "flexibility raises well-being and lowers quits (E1)"),
    "time_care": Channel(
        "workforce", "Care duties eased (time flexibility)",
        "Urusan keluarga lebih ringan (fleksibilitas waktu)",
        "shifts and dynamic hours raise well-being as far as the person wants flexibility "
        "(wellbeing_time)"),
    "applicant_pool": Channel(
        "workforce", "Applicant pool (workforce composition)",
        "Kualitas pelamar (komposisi pegawai)",
        "flexibility on offer attracts abler recruits (E11, E13)"),
}


#: the path channels (need the twin's weekly values: flexisim.explain supplies them)
PATHS = tuple(name for name, ch in CHANNELS.items() if ch.path)


def gate_name(channel: str) -> str:
    """The parameter that switches a channel: ``ch_<channel>``."""
    return f"ch_{channel}"
