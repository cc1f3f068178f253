#!/usr/bin/env bash
# Rebuilds docs/decisions.md from the notes in docs/decisions/ (one file per topic).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Decisions"
  echo
  echo "Why the project is built the way it is, with the figures that decided it. One section per topic; the source of"
  echo "each section is docs/decisions/<topic>.md (run scripts/merge-decisions.sh after editing one)."
  echo
  for f in sip-stack database gateway-signalling registrar gateway-http-edge logging-and-lint xml-charset ps-demux stream-sessions media-output media-capacity vision vision-live dashboard; do
    [ -f "docs/decisions/$f.md" ] || continue
    echo "---"
    echo
    sed -e 's/^# /## /' "docs/decisions/$f.md"
    echo
  done
  for f in docs/decisions/*.md; do
    b=$(basename "$f" .md)
    case " sip-stack database gateway-signalling registrar gateway-http-edge logging-and-lint xml-charset ps-demux stream-sessions media-output media-capacity vision vision-live dashboard " in *" $b "*) continue;; esac
    echo "---"; echo; sed -e 's/^# /## /' "$f"; echo
  done
} > docs/decisions.md
