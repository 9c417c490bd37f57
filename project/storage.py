"""Static files for production: hashed names and compressed copies (whitenoise), tolerant of vendored CSS."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, which leaves a reference to a file that a vendored package does not ship as it is.

    viewflow's Roboto stylesheet names font weights its package leaves out; the browser falls back to another
    weight, and collectstatic must not fail over it.
    """

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name
