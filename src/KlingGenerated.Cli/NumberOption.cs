using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace KlingGenerated.Cli;

/// <summary>Number options read with the invariant culture, with errors in the user's terms.</summary>
// System.CommandLine parses with the current culture and thousands separators ("0,5" became 5) and names .NET types in its errors.
internal static class NumberOption
{
    /// <summary>An optional number such as 0.5; <paramref name="what"/> says what it is, for the error.</summary>
    public static Option<double?> Create(string name, string description, string what) =>
        new(name) { Description = description, CustomParser = result => Parse(result, name, what) };

    /// <summary>A number with a default.</summary>
    public static Option<double> Create(string name, string description, string what, double defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue, CustomParser = result => Parse(result, name, what) ?? defaultValue };

    private static double? Parse(ArgumentResult result, string name, string what)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            return value;
        }

        var hint = text.Contains(',', StringComparison.Ordinal) ? " (write decimals with a dot, such as 0.5)" : string.Empty;
        result.AddError($"{name} must be {what}, not '{TerminalText.Safe(text)}'{hint}.");
        return null;
    }
}
