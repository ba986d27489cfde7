"""Wire adapters: one module per request or response shape.

Each module that encodes an assumption about the platform names its DECISIONS.md number in its
docstring, so that correcting an assumption touches one module:

- :mod:`.auth` D5 (login body, token answer), :mod:`.errors` D3 (error bodies),
- :mod:`.schedule` D1 (schedule update), :mod:`.adjustments` D2 (corrections),
- :mod:`.operational` D4 (operational envelope; the SoC bound category names are this
  project's, see :class:`reconciler.rules.vocabulary.Category`), :mod:`.bids` D12 (bid endpoints).

:mod:`.assets` holds the documented shapes (virtual asset, block, state of energy);
:mod:`.fields` the shared field readers.
"""
