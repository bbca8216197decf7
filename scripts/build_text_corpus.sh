#!/usr/bin/env bash
# Build the default CPU text corpus of the text task (docs/text.md): Jane Austen's six novels (Debian
# r-cran-janeaustenr, an R lazy-load database read by our code through the PyPI `rdata` package, no R needed)
# and the King James Bible (Debian bible-kjv-text, dumped by its reader `bible` from bible-kjv), then the
# BPE + packed shards with `anyorder data text`.
#
#   scripts/build_text_corpus.sh [CORPUS_DIR] [SHARD_DIR] [extra `anyorder data text` options...]
#
# Defaults: CORPUS_DIR = $ANYORDER_TEXT_CORPUS or ~/.cache/anyorder/data/text-corpus,
#           SHARD_DIR  = $ANYORDER_DATA/text or ~/.cache/anyorder/data/text (what the text task reads).
# Needs apt-get (only `apt-get download`, no root: the packages are unpacked with dpkg-deb into a temp dir).
set -euo pipefail
DATA_ROOT="${ANYORDER_DATA:-$HOME/.cache/anyorder/data}"
CORPUS="${1:-${ANYORDER_TEXT_CORPUS:-$DATA_ROOT/text-corpus}}"
SHARDS="${2:-$DATA_ROOT/text}"
shift $(( $# > 2 ? 2 : $# )) || true
PY="${PYTHON:-python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download r-cran-janeaustenr bible-kjv-text bible-kjv
for deb in *.deb; do dpkg-deb -x "$deb" root; done
"root/usr/bin/bible" -f -p "root/usr/lib" "Gen1:1-Rev22:21" > kjv.txt
cd - > /dev/null
"$PY" -m anyorder data text-corpus "$CORPUS" --austen "$WORK/root/usr/lib/R/site-library/janeaustenr" \
  --kjv-dump "$WORK/kjv.txt"
if [ -e "$SHARDS/meta.json" ]; then
  echo "shards already exist in $SHARDS (delete the directory to rebuild)"
else
  "$PY" -m anyorder data text "$SHARDS" --source "$CORPUS" "$@"
fi
