/**
 * The only file that knows which web-component library the UI uses (`@vscode/webview-ui-toolkit`, archived
 * upstream). The wrappers next to it create the elements; swapping to `@vscode-elements/elements` means changing
 * these few files. Only the components actually used are registered, so the rest are tree-shaken away. (Badges
 * and tags are drawn natively, see badge.ts.)
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

export function registerComponents(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeProgressRing(),
  );
}
