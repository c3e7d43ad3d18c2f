namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// Who claimed a batch line: a token per open ledger, alive while its lock file (beside the ledger, in <c>owners/</c>)
/// is held. The system releases the lock when the process ends, even by kill -9, so a claim left by a dead run is seen
/// as free; the token is never a process id, which the system reuses.
/// </summary>
internal sealed class LedgerOwner : IDisposable
{
    private readonly FileStream _lock;

    private LedgerOwner(string token, FileStream stream)
    {
        Token = token;
        _lock = stream;
    }

    public string Token { get; }

    /// <summary>Takes a new owner token for a ledger in <paramref name="folder"/>, and holds its lock file.</summary>
    public static LedgerOwner Take(string folder)
    {
        var owners = System.IO.Path.Combine(folder, "owners");
        Directory.CreateDirectory(owners);
        var token = Guid.NewGuid().ToString("N");
        return new LedgerOwner(token, new FileStream(PathOf(folder, token), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
    }

    /// <summary>True while the owner <paramref name="token"/> of a ledger in <paramref name="folder"/> holds its lock (its run is alive).</summary>
    public static bool IsAlive(string folder, string token)
    {
        if (token.Length != 32 || !token.All(char.IsAsciiHexDigitLower))
        {
            return false; // not a token of ours
        }

        var path = PathOf(folder, token);
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return false; // nobody held it: that run ended (the file is removed)
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // held
        }
        catch (UnauthorizedAccessException)
        {
            return true; // not ours to judge: the safe side
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_lock.Name);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        _lock.Dispose();
    }

    private static string PathOf(string folder, string token) => System.IO.Path.Combine(folder, "owners", token + ".lock");
}
