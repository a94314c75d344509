package mydocker;

import java.util.List;

/**
 * What the plan of the container's setup is built from: everything is decided before clone.
 *
 * @param command  the command and its arguments, executed as PID 1
 * @param env      the command's environment
 * @param hostname the container's hostname, or empty to keep the copy of the host's
 * @param stdinFd  an inherited descriptor to use as stdin (/dev/null), or -1 for the caller's
 * @param ttyFd    an inherited pseudo-terminal slave for stdio, or -1 for none
 */
record ContainerSpec(List<String> command, List<String> env, String hostname, int stdinFd, int ttyFd) {}
