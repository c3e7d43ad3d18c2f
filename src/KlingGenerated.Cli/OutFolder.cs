namespace KlingGenerated.Cli;

/// <summary>--out, checked before a paid task is submitted (generate, wait, batch).</summary>
internal static class OutFolder
{
    /// <summary>Creates the folder and proves a file can be written there; returns its full path.</summary>
    public static string Writable(string outDir, CliEnvironment environment)
    {
        try
        {
            var folder = environment.FullPath(outDir);
            Directory.CreateDirectory(folder);
            using (File.Create(Path.Combine(folder, $".kling-write-check-{Guid.NewGuid():N}"), 1, FileOptions.DeleteOnClose))
            {
            }

            return folder;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out '{TerminalText.Safe(outDir)}' is not a folder the video can be saved in ({exception.Message}). Nothing was sent; choose another --out.");
        }
    }
}
