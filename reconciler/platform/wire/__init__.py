"""Wire adapters: one module per request or response shape.

Each module that encodes an assumption about the platform names its DECISIONS.md number in its
docstring, so that correcting an assumption touches one module:

- :mod:`.auth` D5 (login body, token answer), :mod:`.errors` D3 (error bodies),
- :mod:`.schedule` D1 (schedule update), :mod:`.adjustments` D2 (corrections),
- :mod:`.operational` D4 (operational envelope), :mod:`.bids` D12 (bid endpoints),
- :mod:`.energy_capacity` (V5 field names), :mod:`.soc` (V8 bounds as the SoC limits, D6).

:mod:`.assets` holds the documented shapes (virtual asset, block, state of energy);
:mod:`.fields` the shared field readers.
"""
