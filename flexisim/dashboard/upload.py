"""Loading a file from the browser, with its size checked before any of it is sent.

``ipywidgets.FileUpload`` (what the page used before) reads the whole file in the browser and
sends it in one websocket message: the server sees the name and size only with the bytes. A
30 MB file took 16 s in the browser, arrived as one 31 MB frame, and the server (uvicorn
accepts at most 16 MiB a message) closed the connection: no message on the page, the size
check never ran. Here the browser sends only the file's name and size when one is chosen
(``file_info``); the server refuses a file that is too large on that alone, and asks the
browser for the bytes (:meth:`UploadWidget.read`) only of a file it will read -- the lazy
protocol of ``ipyvuetify.extra.FileInput`` and Solara's ``FileDrop``, with a plain file
chooser (``FileDrop`` is a drop zone only) and a reader that needs no IPython kernel.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import ipyvuetify as v
import solara
import traitlets

from flexisim.dashboard.i18n import number, t

#: The chooser: Vuetify's file input; the browser keeps the file and sends its bytes only when
#: asked (``jupyter_read``), in pieces of at most 1 MiB.
TEMPLATE = """
<template>
  <v-file-input :key="version" :label="label" :accept="accept" :disabled="disabled"
                show-size dense prepend-icon="mdi-file-upload-outline"
                class="flexisim-upload" @change="choose" />
</template>
<script>
module.exports = {
  methods: {
    choose(file) {
      this.native_file = file || null;
      this.file_info = file ? [{name: file.name, size: file.size, type: file.type,
                                lastModified: file.lastModified}] : [];
    },
    jupyter_read({id, offset, length}) {
      const file = this.native_file;
      if (!file) return;
      (async () => {
        for (let done = 0; done < length;) {
          const size = Math.min(length - done, 1024 * 1024);
          const start = offset + done;
          const buffer = await file.slice(start, start + size).arrayBuffer();
          this.upload({id, offset: start, length: size}, [buffer]);
          done += size;
        }
      })();
    },
  },
};
</script>
"""


class UploadWidget(v.VuetifyTemplate):
    """A file chooser that tells the server a file's name and size, and sends its bytes only
    when :meth:`read` asks for them."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    #: a new value empties the chooser (Vue makes a new one)
    version = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    #: the chosen file as the browser describes it: [{name, size (bytes), type, lastModified}]
    file_info = traitlets.List().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._request = 0
        self._wanted = 0
        self._chunks: dict[int, bytes] = {}
        self._arrived = threading.Event()

    def read(self, size: int, timeout: float = 30.0) -> bytes:
        """The chosen file's first ``size`` bytes, asked of the browser now.

        Call it from a thread other than the one that receives the page's messages (the
        pieces arrive there, :meth:`vue_upload`). Never more than ``size`` bytes are kept,
        whatever the browser sends.

        Raises
        ------
        TimeoutError
            When the browser has not sent them within ``timeout`` seconds.
        """
        with self._lock:
            self._request += 1
            request, self._wanted, self._chunks = self._request, size, {}
            self._arrived.clear()
        if size:
            self.send({"method": "read", "args": [{"id": request, "offset": 0,
                                                   "length": size}]})
            if not self._arrived.wait(timeout):
                raise TimeoutError(f"the browser did not send the file within {timeout:g} s")
        with self._lock:
            return b"".join(self._chunks[k] for k in sorted(self._chunks))[:size]

    def clear(self) -> None:
        """Forget the chosen file, here and in the browser (a fresh, empty chooser)."""
        self.version += 1
        self.file_info = []

    def vue_upload(self, content: dict[str, Any], buffers: list[Any]) -> None:
        """A piece of the file from the browser (``this.upload`` in the template)."""
        with self._lock:
            offset = int(content.get("offset", -1))
            received = sum(map(len, self._chunks.values()))
            if content.get("id") != self._request or not buffers or \
                    self._arrived.is_set() or offset != received:
                # a piece of an earlier request, one after the file is complete, or one that
                # is not the next (the browser sends them in order): kept out, so that a
                # client that is not the page cannot make the server hold more than the file
                return
            self._chunks[offset] = bytes(buffers[0])[: self._wanted - offset]
            if received + len(self._chunks[offset]) >= self._wanted:
                self._arrived.set()


@solara.component
def FileLoad(label: str, max_bytes: int, on_file: Callable[[str, bytes], None],
             on_problem: Callable[[str, list[str]], None], accept: str = "") -> Any:
    """A file chooser that reads a file of at most ``max_bytes`` and hands it to
    ``on_file(name, content)``; a larger one is refused on its size, before any byte is sent,
    with ``on_problem(name, lines)`` -- as is a file the browser fails to send.

    Reading (and whatever ``on_file`` does, e.g. building a model) runs in a thread: the bytes
    arrive through the thread that receives the page's messages. Meanwhile the page says so.
    """
    chosen, set_chosen = solara.use_state([])
    widget = solara.use_ref(None)

    def load(cancel: threading.Event) -> None:
        if not chosen:
            return
        name = str(chosen[0].get("name") or "upload.toml")
        size = int(chosen[0].get("size") or 0)
        try:
            if size > max_bytes:  # on the browser's word alone: nothing of the file was sent
                on_problem(name, [t("upload.too_large", name=name, kb=_kb(size),
                                    max=_kb(max_bytes))])
                return
            try:
                content = widget.current.read(size)
            except TimeoutError as exc:
                on_problem(name, [str(exc)])
                return
            on_file(name, content)
        finally:
            widget.current.clear()  # ready for the next file (the same one again, too)

    # not cancelled by raising inside it (Solara's default) when the choice changes: it ends by
    # emptying the chooser, which changes the choice
    loading = solara.use_thread(load, [chosen], intrusive_cancel=False)
    if loading.error:
        raise loading.error
    with solara.Column(gap="0px", classes=["file-load"]) as column:
        element = UploadWidget.element(label=label, accept=accept, on_file_info=set_chosen)
        if chosen and loading.state in (solara.ResultState.STARTING,
                                        solara.ResultState.RUNNING):
            solara.ProgressLinear(True)
            solara.Text(t("upload.reading", name=str(chosen[0].get("name", ""))),
                        classes=["upload-reading"], style={"font-size": "0.8em"})

    def capture() -> None:
        widget.current = solara.get_widget(element)

    solara.use_effect(capture, [])
    return column


def _kb(size: int) -> str:
    """Kilobytes, rounded up: a file one byte over the limit must not read as the limit."""
    return number(math.ceil(size / 1024), None, 0)
