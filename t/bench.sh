#!/usr/bin/env bash
echo "bench: not implemented yet"; exit 1
