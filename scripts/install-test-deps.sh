#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, from Debian's packages:
# Java 17 for AWS's DynamoDB Local. Safe to run again; does nothing when present.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
java -version 2>&1 | head -1
