"""Revisions of articles, recorded by django-simple-history on every save.

django-simple-history writes a full copy of the row after each save, from the
admin or from code (``post_save``), so scripts and imports leave revisions too.
Topics are many-to-many: the admin saves them after the article itself, which
would leave two revisions per save (the first with the old topics). Here a
change of topics made on the same instance after its save rewrites that save's
revision instead; a change of topics with no save before it (``topics.add()``
from code) is a revision of its own.
"""

from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

M2M_CHANGED = ("post_add", "post_remove", "post_clear")


class RevisionRecords(HistoricalRecords):
    def get_change_reason_for_object(self, instance, history_type, using):
        # A reason names one save: it must not stick to the instance and label the next one.
        return instance.__dict__.pop("_change_reason", None)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if action not in M2M_CHANGED or hasattr(instance, "skip_history_when_saving"):
            return
        if reverse:
            # topic.articles.add(article): each article named gets a revision of its own.
            model = self.cls
            for article in model._default_manager.filter(pk__in=pk_set or ()):
                self.create_historical_record(article, "~")
            return
        revision = getattr(instance, "_open_revision", None)
        if revision is None:
            self.create_historical_record(instance, "~")
            return
        for field in revision._history_m2m_fields:
            self.m2m_models[field].objects.filter(history=revision).delete()
        self.create_historical_record_m2ms(revision, instance)


@receiver(post_create_historical_record, dispatch_uid="articles.revision_remember")
def _revision_remember(sender, instance, history_instance, **kwargs) -> None:
    """The instance's latest revision, which later topic changes on it amend."""
    if history_instance.history_type != "-":
        instance._open_revision = history_instance
