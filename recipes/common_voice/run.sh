#!/usr/bin/env bash
# Common Voice English: crowd-sourced MP3 clips, official train/dev/test; char BiLSTM-CTC.
#   ./run.sh [--config conf/medium.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=common_voice
config=conf/medium.yaml
word_lm=1
eval_splits=(dev test)
source ../common/corpus_recipe.sh
