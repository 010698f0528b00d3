"""A compact Footer that shows as many keys as fit on its one line, the most important first.

Textual's Footer shows every binding and lets the rest run off the right edge (at 80
columns a stray "W" sat under the palette key). This one measures each key group against
the width and leaves out, whole, the groups that do not fit; they stay bound, and the help
screen and the command palette list them all. Importance is the order of ``order`` (action
names); bindings it does not name (a dialog's own keys) come first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

PALETTE_KEY_WIDTH = 13  # "▏^p palette" at the right end


class FittedFooter(Footer):
    def __init__(self, order: Sequence[str] = (), **kwargs) -> None:
        super().__init__(compact=True, **kwargs)
        self.order = {name: i for i, name in enumerate(order)}
        self._width = 0
        self._composed: tuple | None = None  # what the last compose showed
        self.shown: list[str] = []  # the actions shown, for tests

    def _rank(self, action: str) -> int:
        return self.order.get(action.split("(")[0], -1)

    def _fit(self, bindings: list, width: int) -> list:
        """The bindings (binding, enabled, tooltip) to show: whole groups, by rank."""
        groups: dict[object, list] = defaultdict(list)
        for item in bindings:
            groups[item[0].group or item[0].action].append(item)
        fitted: list = []
        used = PALETTE_KEY_WIDTH
        for members in sorted(groups.values(), key=lambda m: min(self._rank(b.action)
                                                               for b, _, _ in m)):
            need = self._group_width(members)
            if used + need <= width:
                fitted.extend(members)
                used += need
        keep = {id(item) for item in fitted}
        return [item for item in bindings if id(item) in keep]  # in binding order

    def _group_width(self, members: list) -> int:
        keys = sum(len(self.app.get_key_display(b)) for b, _, _ in members)
        if len(members) > 1:
            return 1 + keys + 1 + len(members[0][0].group.description) + 1
        return keys + 1 + len(members[0][0].description) + 1

    def _plan(self) -> list:
        """The (binding, enabled, tooltip) items to show now."""
        shown = [(binding, enabled, tooltip)
                 for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
                 if binding.show and binding.action != "app.command_palette"]
        return self._fit(shown, self.app.size.width)

    def _signature(self, plan: list) -> tuple:
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        return (palette is not None and palette[2],) + tuple(
            (b.key, b.action, b.description, enabled, tooltip) for b, enabled, tooltip in plan)

    def bindings_changed(self, screen) -> None:
        # Textual recomposes the footer on every focus change; most change nothing it shows
        # (Tab through the settings), and a recompose restyles every key: skip those.
        if self._composed is not None and self.is_attached and screen is self.screen \
                and self._signature(self._plan()) == self._composed:
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown = self._plan()
        self._composed = self._signature(shown)
        self.shown = [binding.action for binding, _, _ in shown]
        by_action: dict[str, list] = defaultdict(list)
        for item in shown:
            by_action[item[0].action].append(item)
        items = list(by_action.values())
        i = 0
        while i < len(items):
            binding = items[i][0][0]
            group = binding.group
            members = [items[i]]
            while group is not None and i + len(members) < len(items) and \
                    items[i + len(members)][0][0].group == group:
                members.append(items[i + len(members)])
            i += len(members)
            if group is not None and len(members) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for member in members:
                        yield self._key(*member[0], grouped=True)
                yield FooterLabel(group.description)
            else:
                yield self._key(*members[0][0])
        yield from self._palette_key(active)

    def _key(self, binding, enabled: bool, tooltip: str, grouped: bool = False) -> FooterKey:
        return FooterKey(binding.key, self.app.get_key_display(binding),
                         "" if grouped else binding.description, binding.action,
                         disabled=not enabled,
                         tooltip=tooltip or binding.description if grouped else tooltip,
                         classes="-grouped" if grouped else "").data_bind(compact=Footer.compact)

    def _palette_key(self, active) -> ComposeResult:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return
        entry = active.get(self.app.COMMAND_PALETTE_BINDING)
        if entry is not None:
            _, binding, enabled, _ = entry
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                            binding.action, classes="-command-palette", disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.call_after_refresh(self.recompose)
