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
 * @param ttyPath  that terminal's path, for /dev/console, or null
 * @param lowerdirs  the image's layer directories, topmost first
 * @param upper      the container's writable layer
 * @param work       overlay's work directory, beside upper
 * @param root       where the overlay is mounted, the container's root to be
 * @param devNodes   a detached tmpfs holding the container's own device nodes (root), or -1 to bind the host's
 * @param workingDir the command's working directory in the container, or empty for /
 * @param volumes    the host paths to bind into the root, parents before what is below them
 */
record ContainerSpec(List<String> command, List<String> env, String hostname, int stdinFd, int ttyFd,
        String ttyPath, List<String> lowerdirs, String upper, String work, String root, int devNodes,
        String workingDir, List<Volume> volumes) {}
