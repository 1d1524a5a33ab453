package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Drives the page in headless Chromium (Debian's chromium and chromedriver, which CI installs):
 * draws a "1" with the mouse, picks a number, and checks the prediction and the model card shown.
 */
class WebPageTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path dir;

    @Test
    void drawingADigitShowsTheDigitAndTheSum() throws Exception {
        assertThat(CHROMIUM).as("install Debian's chromium (CI does)").isExecutable();
        assertThat(CHROMEDRIVER).as("install Debian's chromium-driver (CI does)").isExecutable();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectories(dir.resolve("profile")),
                "--window-size=1200,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 500)) {
            ChromeDriver browser = new ChromeDriver(service, options);
            try {
                browser.get(server.uri("/").toString());
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
                wait.until(d -> d.findElement(By.id("card")).getText().contains("test digit accuracy"));
                assertThat(browser.findElement(By.id("card")).getText()).contains("dualnet v1", "preset seed", "40397 parameters");

                new Select(browser.findElement(By.id("number"))).selectByValue("3");
                WebElement pad = browser.findElement(By.id("pad"));
                // A vertical stroke down the middle of the 280 x 280 pad: a "1".
                new Actions(browser).moveToElement(pad, 0, -90).clickAndHold()
                        .moveByOffset(0, 60).moveByOffset(0, 60).moveByOffset(0, 60).release().perform();

                wait.until(d -> !d.findElement(By.id("digit")).getText().equals("–"));
                assertThat(browser.findElement(By.id("digit")).getText()).isEqualTo("1");
                assertThat(browser.findElement(By.id("sum")).getText()).isEqualTo("4");
                assertThat(browser.findElements(By.cssSelector("#digit-bars .bar"))).hasSize(10);
                assertThat(browser.findElements(By.cssSelector("#sum-bars .bar.top"))).hasSize(1);
                assertThat(browser.findElement(By.id("status")).getText()).isEmpty();
            } finally {
                browser.quit();
            }
        }
    }
}
