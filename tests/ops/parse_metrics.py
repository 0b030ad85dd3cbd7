#!/usr/bin/env python3
"""Reads the Prometheus text exposition format on stdin with the Prometheus
client's own parser and prints every sample as one JSON line:
{"family": ..., "type": ..., "name": ..., "labels": {...}, "value": ...}.
A text the parser refuses exits 1 with its complaint on stderr."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            print(json.dumps({"family": family.name, "type": family.type,
                              "name": sample.name, "labels": sample.labels,
                              "value": sample.value}))
except Exception as refused:  # the parser raises ValueError and others
    print(f"not valid exposition text: {refused}", file=sys.stderr)
    sys.exit(1)
