# bench: benchmarks run by hand (not by make check); see the comment at
# the top of each script.
EXTRA_DIST += bench/ingest.sh
EXTRA_DIST += bench/ocr.sh bench/ocr-work.sh
EXTRA_DIST += bench/damage.sh bench/damage.py bench/dangan-env.sh
EXTRA_DIST += bench/email.sh bench/mkmbox.py
EXTRA_DIST += bench/export.sh
EXTRA_DIST += bench/classify-calibration.sh
EXTRA_DIST += bench/classify.sh bench/classify-metrics.py
