# slim's own image: the static binary alone, FROM scratch (a few MB).
#
#   make static                      # build/static/slim (scripts/build-static.sh)
#   docker build -t slim:static .    # or: buildah build -t slim:static .
#
# then, in another image's build, take slim from it:
#
#   COPY --from=slim:static /slim /usr/local/bin/slim
#
# The build context needs build/static/slim, LICENSE and THIRD-PARTY.md (.dockerignore
# sends only those).  Publishing this image distributes the static binary: see
# THIRD-PARTY.md for what that asks (the LGPL's source and relinking terms).
#
# Without a local build, a multi-stage variant builds it in Debian 12 (needs the
# network for apt-get; .dockerignore must then let the sources through):
#
#   FROM debian:12 AS build
#   RUN apt-get update && apt-get install -y --no-install-recommends gcc make pkg-config \
#       libelf-dev libarchive-dev libzstd-dev libxxhash-dev nettle-dev libjansson-dev \
#       liblzma-dev libbz2-dev liblz4-dev zlib1g-dev git ca-certificates
#   COPY . /src
#   RUN make -C /src static
#   FROM scratch
#   COPY --from=build /src/build/static/slim /slim
#   ...
FROM scratch
COPY build/static/slim /slim
COPY LICENSE THIRD-PARTY.md /usr/share/doc/slim/
ENTRYPOINT ["/slim"]
