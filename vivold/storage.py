from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's compressed manifest storage, answering each file's URL from
    memory after the first time: the manifest changes only with a deploy, which
    restarts the processes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def post_process(self, *args, **kwargs):
        # collectstatic writes a new manifest: forget what the old one said.
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()

    def url(self, name: str, force: bool = False) -> str:
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
