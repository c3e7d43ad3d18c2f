using System.Globalization;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// What a batch says about its uncertain lines (a createTask on the wire when a run died, or an answer lost): how many,
/// what each may have cost at the document's prices (<see cref="KlingPricing"/>), and that resending them is the user's
/// decision. A promise of money, so it names the figures rather than "may be charged".
/// </summary>
internal static class UncertainLines
{
    private const int Listed = 10;

    /// <summary>The closing advice for <paramref name="lines"/> (label and price, null when the document has none).</summary>
    public static string Advice(IReadOnlyList<(string Label, decimal? Price)> lines)
    {
        var count = lines.Count.ToString(CultureInfo.InvariantCulture);
        var prices = lines.Select(l => l.Price).Distinct().ToList();
        var each = prices switch
        {
            [{ } price] => $"each may have cost {Format(price)} credits at the document's prices",
            _ when prices.All(p => p is not null) => "they may have cost " + string.Join(", ", lines.Take(Listed).Select(l => $"line {l.Label} {Format(l.Price!.Value)}"))
                + (lines.Count > Listed ? $" and {lines.Count - Listed} more" : string.Empty) + " credits at the document's prices",
            _ => "the document has no price for " + (prices.Count(p => p is null) == 1 && prices.Count == 1 ? "them" : "some of them") + ", so what they may have cost is unknown",
        };
        var total = prices.All(p => p is not null) ? $" ({Format(lines.Sum(l => l.Price!.Value))} in all)" : string.Empty;
        var which = string.Join(", ", lines.Take(Listed).Select(l => l.Label)) + (lines.Count > Listed ? $" and {lines.Count - Listed} more" : string.Empty);
        return $"{count} line(s) are uncertain ({which}): their tasks may exist and be charged; {each}{total}. "
            + "Check `kling tasks --state uncertain` and the kie.ai console, then run again with --resubmit-uncertain only if you accept paying that again.";
    }

    private static string Format(decimal value) => KlingBudget.FormatCredits(value);
}
