package dev.dualnet.exporter.lower;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.exporter.Dim;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DimSolverTest {
    private static DimSolver solver() {
        Map<String, long[]> sizes = new LinkedHashMap<>();
        sizes.put("N", new long[] {2, 3});
        sizes.put("S", new long[] {5, 7});
        return new DimSolver(sizes);
    }

    @Test
    void equalValuesAreFixed() {
        assertThat(solver().solve(12, 12)).isEqualTo(Dim.of(12));
        assertThat(solver().solve(-1, -1)).isEqualTo(new Dim(-1, List.of()));
    }

    @Test
    void multiplesAndProductsOfDimensions() {
        assertThat(solver().solve(2, 3)).isEqualTo(Dim.named("N"));
        assertThat(solver().solve(6, 9)).isEqualTo(new Dim(3, List.of("N")));
        assertThat(solver().solve(10, 21)).isEqualTo(new Dim(1, List.of("N", "S")));
        assertThat(solver().solve(40, 84)).isEqualTo(new Dim(4, List.of("N", "S")));
        assertThat(solver().solve(-2, -3)).isEqualTo(new Dim(-1, List.of("N")));
    }

    @Test
    void valuesNoProductExplainsHaveNoAnswer() {
        assertThat(solver().solve(3, 4)).isNull();
        assertThat(solver().solve(2, 5)).isNull();
        assertThat(solver().solve(0, 7)).isNull();
    }

    @Test
    void dimensionsPrintAsWritten() {
        assertThat(new Dim(4, List.of("S", "N")).toString()).isEqualTo("4*N*S");
        assertThat(Dim.parseShape("N,3,224,224")).containsExactly(Dim.named("N"), Dim.of(3), Dim.of(224), Dim.of(224));
    }
}
