using System.Runtime.InteropServices;

namespace Cascade.Storage.Log;

/// <summary>Makes a new or renamed file's directory entry durable (fsync of the directory, POSIX only).</summary>
internal static partial class DirectorySync
{
    public static void Fsync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return; // NTFS makes directory entries durable with the file's own flush.
        }
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (FsyncNative(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
