# The image of bkjob-mock: the static binary that `make image` builds, and
# nothing else. Nothing is compiled or downloaded here (FROM scratch needs no
# base image), so the image builds offline in a second.
#
#   make image                      # CGO_ENABLED=0 build, then docker build
#   docker run --rm -p 8080:8080 -e BKJOB_MOCK_ADMIN_TOKEN=change-me bkjob-mock
#
# Every serve flag has an environment variable BKJOB_MOCK_<FLAG>; a flag
# given after the image name wins. See docs/deploy.md.
FROM scratch
COPY bin/image/bkjob-mock /bkjob-mock
# A numeric non-root user: no /etc/passwd is needed, and Kubernetes can check
# runAsNonRoot against it.
USER 65532:65532
ENV BKJOB_MOCK_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/bkjob-mock"]
CMD ["serve"]
