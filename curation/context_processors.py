from curation.services import queue_count


def curation(request):
    """``curation_queue_count``: open requests waiting for the signed-in curator (the header's badge)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"curation_queue_count": 0}

    def count():
        return queue_count(user)

    from django.utils.functional import SimpleLazyObject

    return {"curation_queue_count": SimpleLazyObject(count)}
