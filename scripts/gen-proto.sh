#!/usr/bin/env bash
# Regenerates gen/ from proto/: TypeScript (ts-proto, grpc-js services) and the descriptor set
# that the nodes serve through gRPC server reflection. gen/ is committed; CI checks that this
# script leaves it unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin=node_modules/.bin
if [ ! -x "$bin/protoc" ] || [ ! -x "$bin/protoc-gen-ts_proto" ]; then
  echo "gen-proto: protoc or ts-proto missing; run 'npm ci' first" >&2
  exit 1
fi

shoal_protos=(proto/shoal/v1/*.proto)
rm -rf gen
mkdir -p gen

"$bin/protoc" \
  --plugin=protoc-gen-ts_proto="$bin/protoc-gen-ts_proto" \
  --ts_proto_out=gen \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,oneof=unions-value,forceLong=number,useExactTypes=false \
  -I proto "${shoal_protos[@]}"

# Reflection is served from protoc's own descriptors of every file, imports included, so
# grpcurl and buf curl need no .proto files. (grpc-js's reflection rebuilds one file per
# package from them, without comments; that is why the contracts import no well-known types.)
"$bin/protoc" \
  --descriptor_set_out=gen/descriptors.binpb --include_imports \
  -I proto "${shoal_protos[@]}" proto/grpc/health/v1/health.proto

echo "gen-proto: wrote $(find gen -type f | wc -l) files to gen/"
