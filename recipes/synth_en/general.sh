#!/usr/bin/env bash
# The general model that ships inside the package (asr/pretrained/general/), from nothing, in one command:
#   ./general.sh [--to DIR]
# 0. Kokoro's English voice packs into the user's cache, once (python -m data_prep.tts.fetch_kokoro_en);
# 1. ./run.sh --config conf/general_en.yaml, all stages: its corpus (86 min of both cores from nothing, most of it
#    Kokoro's synthesis; stop and re-run at will, it skips what exists), features and LM, training (resumes where
#    it stopped), evaluation of every split, export and a sample transcription;
# 2. the int8 export beside the float one;
# 3. tools/ship_model.py: the model files and MODEL_CARD.md (its figures read from this run; its limits from
#    conf/general_limits.md) into asr/pretrained/general/, or --to DIR.
set -euo pipefail
cd "$(dirname "$0")"
to=
while [ $# -gt 0 ]; do
  case "$1" in
    --to) to=$2; shift 2 ;;
    *) echo "general.sh: unknown option $1 (use --to)" >&2; exit 2 ;;
  esac
done
(cd ../.. && python -m data_prep.tts.fetch_kokoro_en)  # data_prep/ is the checkout's, never installed
config=conf/general_en.yaml
name=$(basename "$config" .yaml)  # run.sh names the corpus data/<name> and the run exp/<name>
./run.sh --config "$config"
asr export --int8 "exp/$name"
python ../../tools/ship_model.py "exp/$name" --data-dir "data/$name" --limits conf/general_limits.md \
  --command "recipes/synth_en/general.sh" ${to:+--to "$to"}
