from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def attachment_store(settings, tmp_path):
    """Every test writes its files to a store of its own."""
    settings.CASEBOOK_ATTACHMENTS_DIR = str(tmp_path / "attachments")
    return tmp_path / "attachments"
