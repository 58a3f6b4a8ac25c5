"""What the training loop tells its caller (loop/trainer.train, loop/drafting): below both, so neither imports
the other for it."""

from __future__ import annotations

from writebot.store.formats import DraftRecord, RefusalRecord, UpdateRecord


class Callbacks:
    """What the loop tells its caller; callbacks watch, they never steer (a Stopper decides when to stop). This one
    does nothing; writebot.runs.RunCallbacks draws the progress bars and logs each epoch to the tracker."""

    def on_epoch(self, epoch: int, todo: int) -> None:
        """Epoch `epoch` begins, with `todo` topics to draft."""

    def on_draft(self, record: DraftRecord | RefusalRecord) -> None:
        """A draft was reviewed and recorded (or its topic refused: a RefusalRecord)."""

    def on_batch_poll(self, status) -> None:
        """A Message Batch of this epoch's drafts was polled (the API's MessageBatch)."""

    def on_warning(self, message: str) -> None:
        """Something the person should know that does not stop the run (one line)."""

    def on_epoch_end(self, epoch: int) -> None:
        """Every topic of the epoch is recorded."""

    def on_update(self, record: UpdateRecord) -> None:
        """An update was recorded."""

    def on_verdict(self, record: UpdateRecord) -> None:
        """A deferred gate's verdict was recorded."""
