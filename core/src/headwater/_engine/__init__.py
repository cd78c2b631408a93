"""Engine internals: how one flow run or task run is carried out.

Nothing here is public API. :mod:`headwater.flows`, :mod:`headwater.tasks`,
:mod:`headwater.futures` and :mod:`headwater.task_runners` are the public faces.
"""
