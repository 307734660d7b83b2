#!/usr/bin/env bash
# LibriSpeech (OpenSLR 12): char BiLSTM-CTC on train-clean-100 (medium) or all 960 h (large).
#   ./run.sh [--config conf/medium.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=librispeech
config=conf/medium.yaml
word_lm=1
eval_splits=(dev dev_other test_clean test_other)
source ../common/corpus_recipe.sh
