# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection version, sent in the User-Agent header."""

from __future__ import annotations

COLLECTION_VERSION = "0.1.0"
