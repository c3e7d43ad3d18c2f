using System.Reflection;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("KlingGenerated.Tests.Infrastructure.SlowCollectionsFirst", "KlingGenerated.Tests")]

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Starts the collections that hold a <c>[Trait("Category", "Slow")]</c> test (a class's own collection, or a named one)
/// before the others; xunit starts as many collections at once as it has threads, so a minute-long test that starts
/// last makes the suite wait a minute alone while the quick ones fill the gaps beside the long ones otherwise.
/// The order changes nothing else: each collection still runs its tests one after another, and every test runs.
/// </summary>
public sealed class SlowCollectionsFirst : ITestCollectionOrderer
{
    private static readonly Lazy<HashSet<string>> Slow = new(SlowCollections);

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Slow.Value.Contains(c.DisplayName) ? 0 : 1).ThenBy(c => c.UniqueID);

    /// <summary>The display names of the collections with a Slow test: xunit names a class's own "Test collection for FULLNAME".</summary>
    private static HashSet<string> SlowCollections()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in typeof(SlowCollectionsFirst).Assembly.GetTypes())
        {
            var methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance);
            if (IsSlow(type) || methods.Any(IsSlow))
            {
                var named = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute));
                names.Add(named?.ConstructorArguments[0].Value as string ?? "Test collection for " + type.FullName);
            }
        }

        return names;
    }

    private static bool IsSlow(MemberInfo member) =>
        member.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
            && a.ConstructorArguments is [{ Value: "Category" }, { Value: "Slow" }]);
}
