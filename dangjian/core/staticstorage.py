"""Production static-file storage: WhiteNoise's hashed, compressed files."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _pattern_text(pattern):
    return pattern[0] if isinstance(pattern, tuple) else pattern


class StaticStorage(CompressedManifestStaticFilesStorage):
    """CompressedManifestStaticFilesStorage that leaves `sourceMappingURL` comments alone: the vendored minified
    files (Bootstrap) name source maps that are not shipped, and rewriting them would fail collectstatic.
    Every other reference (CSS url(), @import) is still hashed and must exist."""

    patterns = tuple(
        (glob, tuple(p for p in patterns if "sourceMappingURL" not in _pattern_text(p)))
        for glob, patterns in ManifestStaticFilesStorage.patterns
    )
