using System.Security.Cryptography;
using System.Text;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One run of a batch at a time. The lock is keyed like the lines (the endpoint and the lines' keys), not by the file's
/// path, so a copy, a rename, a symlink or another working folder of a running batch is refused too. It is an exclusive
/// open of a file beside the ledger, which the system releases even after kill -9; the file is removed when the run ends,
/// and lock files nobody holds (left by kill -9 or by older versions) are removed at the next start.
/// </summary>
internal sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;

    private RunLock(FileStream stream) => _stream = stream;

    public string Path => _stream.Name;

    /// <summary>Takes the lock of these lines on this endpoint, or says the batch is already running.</summary>
    public static RunLock Take(string ledgerPath, string endpoint, IEnumerable<string> lineKeys, string shown)
    {
        var folder = System.IO.Path.GetDirectoryName(ledgerPath)!;
        RemoveStale(folder);
        var identity = endpoint + "\n" + string.Join('\n', lineKeys.Order(StringComparer.Ordinal));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        var path = System.IO.Path.Combine(folder, $"batch-{hash}.lock");
        try
        {
            return new RunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException)
        {
            throw new UsageException($"the batch {Ledger.Text.Safe(shown)} (or a copy of it: a batch is known by its lines) is already running in another kling process with this ledger; nothing was sent. "
                + "Wait for it to end (or stop it with Ctrl+C), then run this command again to resume.");
        }
    }

    /// <summary>Removes the lock files of this ledger's folder that no process holds.</summary>
    internal static void RemoveStale(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "batch-*.lock"))
        {
            try
            {
                using var stale = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Held by a running batch (or not ours to remove): left alone.
            }
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_stream.Name); // still held while it is removed: a run starting now creates and locks a new file
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        _stream.Dispose();
    }
}
