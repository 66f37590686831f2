"""Progress bars of live cells that end the way the run ended.

tqdm's notebook bar turns red ("danger") when it is closed before reaching its total. For an
lr range test, stopping early, once the loss blows up, is the normal end, so a red bar at 91%
tells the learner something failed when nothing did. ``finish_bar`` closes a bar as a success
at the point where it stopped: the total becomes the count reached, so the bar is full and
green (the text bar of a terminal shows ``n/n``).

Use it where a loop may stop before its planned number of steps on purpose::

    bar = tqdm(range(num_steps), desc="lr range test", leave=False)
    for step in bar:
        ...
        if diverged:
            break
    finish_bar(bar, normal_end=True)
"""

from __future__ import annotations

from typing import Any


def finish_bar(bar: Any, *, normal_end: bool = True) -> None:
    """Close a tqdm bar; with ``normal_end`` an early stop ends it as a success.

    With ``normal_end=False`` the bar is closed as tqdm does it (red when it stopped short),
    for loops where stopping early is a failure.
    """
    total = getattr(bar, "total", None)
    n = int(getattr(bar, "n", 0))
    if normal_end and total and n < total:
        bar.total = n
        container = getattr(bar, "container", None)  # tqdm.notebook's widget
        if container is not None:
            container.children[1].max = max(n, 1)
            container.children[1].value = n
        bar.refresh()
    bar.close()
