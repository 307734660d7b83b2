#!/usr/bin/env bash
# Fine-tuning example: the default model adapted to the TTS engine it never heard (festival), from the
# corpus's adapt_unseen_engine split (300 utterances: the first 250 train, the other 50 stop early), then
# scored on test_unseen_engine (other sentences) before (run.sh's stage 3) and after. Run after ./run.sh.
#   ./adapt.sh [--source exp/small] [--data data/small] [--config conf/adapt.yaml]
# The same from the general model (after ./general.sh), into exp/adapt_general:
#   ./adapt.sh --source exp/general_en --data data/general_en --config conf/adapt_general.yaml
set -euo pipefail
cd "$(dirname "$0")"

source=exp/small
data=data/small
config=conf/adapt.yaml
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    *) echo "adapt.sh: unknown option $1 (use --source, --data, --config)" >&2; exit 2 ;;
  esac
done
adapt=$data/adapt
exp=exp/$(basename "$config" .yaml)  # the run is named after its config: exp/adapt, exp/adapt_general
train_count=250

echo "== adapt: data ($adapt: $train_count utterances of adapt_unseen_engine to train, the rest as dev)"
mkdir -p "$adapt/manifests"
head -n "$train_count" "$data/manifests/adapt_unseen_engine.jsonl" > "$adapt/manifests/train.jsonl.tmp"
tail -n +"$((train_count + 1))" "$data/manifests/adapt_unseen_engine.jsonl" > "$adapt/manifests/dev.jsonl.tmp"
cp "$data/manifests/test_unseen_engine.jsonl" "$adapt/manifests/test_unseen_engine.jsonl.tmp"
for f in "$adapt"/manifests/*.tmp; do mv "$f" "${f%.tmp}"; done
asr features --config "$config" --data-dir "$adapt"

echo "== adapt: fine-tune $source"
asr train --config "$config" --data-dir "$adapt" --run-dir "$exp" --init-from "$source"

echo "== adapt: test_unseen_engine before ($source, as stage 3 of run.sh scored it) and after ($exp)"
asr results "$source" test_unseen_engine
# the adapted model's LM weights are tuned on its own dev split (the 50 festival utterances), as a user
# adapting to a new domain would; the source's were tuned on espeak-ng's dev by run.sh
asr evaluate --run-dir "$exp" --data-dir "$adapt" --split dev --split test_unseen_engine \
  --strategy greedy --strategy beam --strategy beam_lm --lm "$data/lm/3gram.arpa"
asr results "$exp" test_unseen_engine
