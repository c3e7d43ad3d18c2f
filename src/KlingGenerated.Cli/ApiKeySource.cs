namespace KlingGenerated.Cli;

/// <summary>Finds the API key: --api-key, --api-key-file, KIE_API_KEY, KIE_API_KEY_FILE, in that order.</summary>
// A key on the command line is visible to every user in `ps`; a file or the environment is not, so both are offered.
internal static class ApiKeySource
{
    private const int MaxKeyFileBytes = 4096;

    /// <summary>The key, trimmed, or null when none is given anywhere.</summary>
    public static string? Find(string? apiKey, string? apiKeyFile, CliEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(apiKey) && !string.IsNullOrWhiteSpace(apiKeyFile))
        {
            throw new UsageException("pass either --api-key or --api-key-file, not both.");
        }

        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            return apiKey.Trim();
        }

        if (!string.IsNullOrWhiteSpace(apiKeyFile))
        {
            return Read(environment.FullPath(apiKeyFile), apiKeyFile, "--api-key-file");
        }

        if (environment.Variable("KIE_API_KEY") is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        return environment.Variable("KIE_API_KEY_FILE") is { } file && !string.IsNullOrWhiteSpace(file)
            ? Read(environment.FullPath(file), file, "KIE_API_KEY_FILE")
            : null;
    }

    private static string Read(string fullPath, string path, string source)
    {
        string text;
        try
        {
            // Read at most one byte past the cap, whatever the file is: a device (/dev/zero) or a FIFO has no length to check first.
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[MaxKeyFileBytes + 1];
            var read = 0;
            while (read < buffer.Length && stream.Read(buffer, read, buffer.Length - read) is var n and > 0)
            {
                read += n;
            }

            if (read > MaxKeyFileBytes)
            {
                throw new UsageException($"{source} '{path}' holds more than {MaxKeyFileBytes} bytes, too much for an API key; point it at a file holding only the key.");
            }

            text = new System.Text.UTF8Encoding(false).GetString(buffer, 0, read).TrimStart('\uFEFF');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the API key from {source} '{path}' ({exception.Message}). Check the path and its permissions.");
        }

        var key = text.Trim();
        if (key.Length == 0)
        {
            throw new UsageException($"{source} '{path}' is empty; write the API key into it.");
        }

        if (key.Any(char.IsWhiteSpace))
        {
            throw new UsageException($"{source} '{path}' holds more than one word; it must hold only the API key.");
        }

        return key;
    }
}
