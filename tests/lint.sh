#!/bin/sh
# make lint: formatting (clang-format, check only) and cppcheck over the
# tracked C sources.
set -e
cd "${1:-.}"
files=$(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror $files
cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	--suppress=missingIncludeSystem -I core -I core/lib -D__GNUC__ $files
